"""copy_image from the real Docker engine (legacy `docker save` layout), the OCI-layout
save stream of engines >= 25, checked by skopeo and by running the copy."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from imagebuild import build_image, run_output
from sealift.errors import EngineError, NotFoundError, PlatformError
from sealift.oci import enginesource, spool
from sealift.oci.copy import copy_image
from sealift.oci.descriptor import Platform
from sealift.oci.layout import Layout
from sealift.oci.savetar import SaveArchive, build_manifest, read_save_stream
from sealift.progress import NO_PROGRESS

pytestmark = pytest.mark.docker
TAG = f"sl-src-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def image(docker_client: docker.DockerClient) -> Iterator[str]:
    name = f"{TAG}-eng:1"
    build_image(
        docker_client, name, files={"/hello.txt": "hello from sealift\n"}, cmd=["cat", "/hello.txt"]
    )
    yield name
    docker_client.images.remove(name, force=True)


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"skopeo {' '.join(args)}: {result.stderr}"
    return result


def test_engine_copy_is_readable_by_skopeo_and_runs(
    docker_client: docker.DockerClient, image: str, tmp_path: Path
) -> None:
    layout = Layout.create(tmp_path / "store")
    copied = copy_image(layout, image, source="engine")
    assert copied.source == "engine"
    assert copied.platforms == [Platform("linux", "amd64")]
    assert copied.size == sum(d.size for d in layout.walk(copied.descriptor))
    layout.set_ref("eng:1", copied.descriptor)
    info = json.loads(skopeo("inspect", f"oci:{layout.root}:eng:1").stdout)
    assert info["Digest"] == copied.descriptor.digest
    back = f"{TAG}-back:1"
    skopeo("copy", f"oci:{layout.root}:eng:1", f"docker-daemon:{back}")
    try:
        out = run_output(docker_client, back)
        assert out == b"hello from sealift\n"
    finally:
        docker_client.images.remove(back, force=True)


def test_engine_copy_is_deterministic(image: str, tmp_path: Path) -> None:
    first = copy_image(Layout.create(tmp_path / "a"), image, source="engine")
    second = copy_image(Layout.create(tmp_path / "b"), image, source="engine")
    assert first.descriptor.digest == second.descriptor.digest


def test_missing_engine_image_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no such image in the Docker engine"):
        copy_image(Layout.create(tmp_path), f"{TAG}-absent:1", source="engine")


def test_unreachable_engine_is_an_engine_error(tmp_path: Path) -> None:
    dead = docker.DockerClient(base_url=f"unix://{tmp_path}/no.sock", version="1.41")
    with pytest.raises(EngineError, match=r"not reachable.*start dockerd"):
        copy_image(Layout.create(tmp_path / "s"), "busybox", source="engine", engine=dead)


def test_engine_image_lacking_platform(image: str, tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match=r"has no linux/arm64 image \(it has linux/amd64\)"):
        copy_image(
            Layout.create(tmp_path),
            image,
            source="engine",
            platforms=[Platform.parse("linux/arm64")],
        )
    assert not list((tmp_path / "blobs" / "sha256").iterdir())


def test_oci_layout_save_stream_with_gzip_layers(image: str, tmp_path: Path) -> None:
    """An OCI-layout save whose layers are already gzip (made by skopeo): kept as they are."""
    oci_dir = tmp_path / "oci"
    skopeo("copy", f"docker-daemon:{image}", f"oci:{oci_dir}:x")
    layout = Layout.create(tmp_path / "store")
    archive = read_save_stream(_engine25_stream(oci_dir), layout, NO_PROGRESS, image)
    desc, platform = build_manifest(archive, layout, image)
    assert platform == Platform("linux", "amd64")
    assert _layers(layout, desc.digest) == [d["digest"] for d in _oci_manifest(oci_dir)["layers"]]
    layout.set_ref("x", desc)
    assert json.loads(skopeo("inspect", f"oci:{layout.root}:x").stdout)["Os"] == "linux"


def test_oci_layout_save_stream_as_engine25_writes_it(
    docker_client: docker.DockerClient, image: str, tmp_path: Path
) -> None:
    """Engines >= 25: blobs/sha256/* with uncompressed layers, index.json, manifest.json.
    Made from the engine's own legacy save; must give exactly the legacy copy's manifest."""
    oci_dir = _legacy_save_as_oci_layout(docker_client, image, tmp_path / "oci")
    layout = Layout.create(tmp_path / "store")
    archive = read_save_stream(_engine25_stream(oci_dir), layout, NO_PROGRESS, image)
    desc, _ = build_manifest(archive, layout, image)
    from_engine = copy_image(Layout.create(tmp_path / "legacy"), image, source="engine")
    assert desc.digest == from_engine.descriptor.digest


def _layers(layout: Layout, digest: str) -> list[str]:
    return [layer["digest"] for layer in layout.read_json(digest)["layers"]]


def _oci_manifest(oci_dir: Path) -> dict[str, Any]:
    index = json.loads((oci_dir / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    return dict(json.loads((oci_dir / "blobs" / "sha256" / digest).read_text()))


def _legacy_save_as_oci_layout(client: docker.DockerClient, image: str, out: Path) -> Path:
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    saved = tmp = out / "save.tar"
    with saved.open("wb") as f:
        for chunk in client.images.get(image).save(named=False):
            f.write(chunk)
    layers: list[dict[str, Any]] = []
    with tarfile.open(tmp) as tar:
        entry = json.load(tar.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        config = tar.extractfile(entry["Config"]).read()  # type: ignore[union-attr]
        for path in entry["Layers"]:
            data = tar.extractfile(path).read()  # type: ignore[union-attr]
            layers.append(_blob(blobs, data, "application/vnd.oci.image.layer.v1.tar"))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _blob(blobs, config, "application/vnd.oci.image.config.v1+json"),
        "layers": layers,
    }
    manifest_desc = _blob(blobs, json.dumps(manifest).encode(), str(manifest["mediaType"]))
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest_desc]}))
    (out / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    tmp.unlink()
    return out


def _blob(blobs: Path, data: bytes, media_type: str) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def _engine25_stream(oci_dir: Path) -> io.BytesIO:
    """A tar as engines >= 25 stream it: blobs, index.json, manifest.json, oci-layout."""
    manifest = _oci_manifest(oci_dir)
    save_manifest = [
        {
            "Config": "blobs/sha256/" + manifest["config"]["digest"].split(":")[1],
            "RepoTags": ["x:1"],
            "Layers": [
                "blobs/sha256/" + layer["digest"].split(":")[1] for layer in manifest["layers"]
            ],
        }
    ]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for blob in sorted((oci_dir / "blobs" / "sha256").iterdir()):
            tar.add(str(blob), arcname=f"blobs/sha256/{blob.name}")
        tar.add(str(oci_dir / "index.json"), arcname="index.json")
        data = json.dumps(save_manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(str(oci_dir / "oci-layout"), arcname="oci-layout")
    out.seek(0)
    return out


def test_auto_prefers_the_engine(image: str, tmp_path: Path) -> None:
    assert copy_image(Layout.create(tmp_path), image).source == "engine"


def test_copying_the_same_image_again_reads_and_compresses_nothing(
    image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.create(tmp_path)
    first = copy_image(layout, image, source="engine")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the image was read from the engine again")

    monkeypatch.setattr(enginesource, "read_save_stream", refuse)
    monkeypatch.setattr(spool, "gzip_chunks", refuse)
    second = copy_image(layout, image, source="engine")
    assert second.descriptor == first.descriptor


def test_image_sharing_layers_with_the_store_compresses_only_new_layers(
    docker_client: docker.DockerClient, image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.create(tmp_path)
    copy_image(layout, image, source="engine")
    other = f"{TAG}-other:1"
    build_image(docker_client, other, files={"/other.txt": "another layer\n"})
    try:
        archives: list[SaveArchive] = []

        def recording(*args: Any, **kwargs: Any) -> SaveArchive:
            archives.append(read_save_stream(*args, **kwargs))
            return archives[-1]

        monkeypatch.setattr(enginesource, "read_save_stream", recording)
        copied = copy_image(layout, other, source="engine")
    finally:
        docker_client.images.remove(other, force=True)
    have = set(docker_client.images.get(image).attrs["RootFS"]["Layers"])
    wanted = layout.read_json(layout.read_json(copied.descriptor.digest)["config"]["digest"])
    new = [d for d in wanted["rootfs"]["diff_ids"] if d not in have]
    assert len(wanted["rootfs"]["diff_ids"]) > len(new) >= 1  # shares busybox, adds a file
    assert archives[0].compressed == len(new)
