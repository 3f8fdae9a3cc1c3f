"""copy_image from a real docker-registry (anonymous, basic auth, a multi-platform
index), and from oci: / oci-archive: layouts; skopeo reads every result."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import docker
import pytest

from conftest import _wait_for_port, free_port
from imagebuild import run_output
from multiarch import push, skopeo
from sealift.errors import AuthError, NotFoundError, PlatformError, RegistryError
from sealift.oci.copy import copy_image
from sealift.oci.descriptor import Platform
from sealift.oci.layout import Layout

pytestmark = pytest.mark.docker
TAG = f"sl-src-{uuid.uuid4().hex[:8]}"
AMD64, ARM64 = Platform("linux", "amd64"), Platform("linux", "arm64")
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _check_with_skopeo(layout: Layout, desc: Any, name: str = "img") -> dict[str, Any]:
    layout.set_ref(name, desc)
    return dict(json.loads(skopeo("inspect", "--raw", f"oci:{layout.root}:{name}").stdout))


def test_single_image_from_registry_runs(
    docker_client: docker.DockerClient, registry: str, arch_images: dict[str, str], tmp_path: Path
) -> None:
    ref = f"{registry}/shop/web:1"
    push(arch_images["amd64"], ref)
    layout = Layout.create(tmp_path / "store")
    copied = copy_image(layout, ref, source="auto")  # not in the engine under this name
    assert copied.source == "registry"
    assert copied.platforms == [AMD64]
    assert copied.size == sum(d.size for d in layout.walk(copied.descriptor))
    layout.set_ref("web:1", copied.descriptor)
    back = f"{TAG}-back:1"
    skopeo("copy", f"oci:{layout.root}:web:1", f"docker-daemon:{back}")
    try:
        assert run_output(docker_client, back) == b"amd64"
    finally:
        docker_client.images.remove(back, force=True)


def test_index_keeps_every_platform_and_drops_attestations(multi: str, tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    copied = copy_image(layout, multi, source="registry")
    assert copied.platforms == [AMD64, ARM64]
    assert copied.descriptor.media_type == OCI_INDEX
    raw = _check_with_skopeo(layout, copied.descriptor)
    assert [m["platform"]["architecture"] for m in raw["manifests"]] == ["amd64", "arm64"]
    skopeo("inspect", "--override-arch", "arm64", f"oci:{layout.root}:img")


def test_index_narrowed_to_one_platform_is_its_manifest(multi: str, tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    copied = copy_image(layout, multi, source="registry", platforms=[ARM64])
    assert copied.platforms == [ARM64]
    assert copied.descriptor.media_type != OCI_INDEX
    raw = _check_with_skopeo(layout, copied.descriptor)
    config = layout.read_json(raw["config"]["digest"])
    assert config["architecture"] == "arm64"


def test_missing_platform_names_image_and_what_it_has(multi: str, tmp_path: Path) -> None:
    with pytest.raises(
        PlatformError,
        match=r"shop/multi:1 has no linux/s390x image "
        r"\(it has linux/amd64, linux/arm64\)",
    ):
        copy_image(
            Layout.create(tmp_path),
            multi,
            source="registry",
            platforms=[Platform.parse("linux/s390x")],
        )


def test_missing_image_is_not_found(registry: str, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"404 .*not found"):
        copy_image(Layout.create(tmp_path), f"{registry}/shop/none:1", source="registry")


def test_registry_down(tmp_path: Path) -> None:
    ref = f"127.0.0.1:{free_port()}/shop/web:1"
    with pytest.raises(RegistryError, match=r"not reachable.*connection refused"):
        copy_image(Layout.create(tmp_path), ref, source="registry")


def test_oci_dir_and_archive_sources(multi: str, tmp_path: Path) -> None:
    skopeo(
        "copy", "--all", "--src-tls-verify=false", f"docker://{multi}", f"oci:{tmp_path / 'dir'}:m"
    )
    skopeo(
        "copy",
        "--all",
        "--src-tls-verify=false",
        f"docker://{multi}",
        f"oci-archive:{tmp_path / 'm.tar'}:m",
    )
    for transport, path in (("oci", "dir"), ("oci-archive", "m.tar")):
        layout = Layout.create(tmp_path / f"store-{transport}")
        copied = copy_image(layout, f"{transport}:{tmp_path / path}:m", platforms=[ARM64])
        assert copied.source == transport
        assert copied.platforms == [ARM64]
        reached = {d.digest for d in layout.walk(copied.descriptor)}
        assert reached <= layout.blob_digests()
        if transport == "oci-archive":  # what it wrote and the image does not reach is gone
            assert layout.blob_digests() == reached
        _check_with_skopeo(layout, copied.descriptor)


# -- basic auth against a real registry with htpasswd -----------------------------------


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """docker-registry with htpasswd auth (user `vendor`, password `s3cret`, bcrypt)."""
    root = tmp_path_factory.mktemp("authreg")
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt()).decode()
    (root / "htpasswd").write_text(f"vendor:{hashed}\n")
    port = free_port()
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
        f"auth: {{htpasswd: {{realm: sealift, path: {root / 'htpasswd'}}}}}\n"
    )
    binary = shutil.which("docker-registry") or "docker-registry"
    proc = subprocess.Popen(
        [binary, "serve", str(root / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_port(port, proc)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def _push_private(registry: str, image: str, name: str) -> str:
    """Push an engine image into the auth registry as `vendor`; its reference."""
    ref = f"{registry}/{name}"
    skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "vendor:s3cret",
        f"docker-daemon:{image}",
        f"docker://{ref}",
    )
    return ref


def _docker_config(path: Path, host: str, user: str, password: str) -> Path:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


def test_basic_auth(
    auth_registry: str, arch_images: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = _push_private(auth_registry, arch_images["amd64"], "shop/private:1")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "nowhere"))
    with pytest.raises(AuthError, match=r"requires a login: run `docker login"):
        copy_image(Layout.create(tmp_path / "a"), ref, source="registry")
    wrong = _docker_config(tmp_path / "wrong.json", auth_registry, "vendor", "nope")
    with pytest.raises(AuthError, match=r"401 .*credentials were refused"):
        copy_image(Layout.create(tmp_path / "b"), ref, source="registry", docker_config=wrong)
    good_dir = tmp_path / "dockercfg"
    good_dir.mkdir()
    _docker_config(good_dir / "config.json", auth_registry, "vendor", "s3cret")
    monkeypatch.setenv("DOCKER_CONFIG", str(good_dir))
    copied = copy_image(Layout.create(tmp_path / "c"), ref, source="registry")
    assert copied.platforms == [AMD64]


def test_credential_helper_against_a_real_registry(
    auth_registry: str, arch_images: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`credHelpers` in the docker config: the helper program is asked, as docker would."""
    ref = _push_private(auth_registry, arch_images["amd64"], "shop/helped:1")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "docker-credential-sealift-test"
    program.write_text(
        '#!/bin/sh\nread server\n[ "$1 $server" = "get ' + auth_registry + '" ] || exit 1\n'
        'echo \'{"ServerURL":"' + auth_registry + '","Username":"vendor","Secret":"s3cret"}\'\n'
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {auth_registry: "sealift-test"}}))
    copied = copy_image(Layout.create(tmp_path / "a"), ref, source="registry", docker_config=config)
    assert copied.platforms == [AMD64]
