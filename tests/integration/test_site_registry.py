"""`sealift registry serve` answers real registry clients (Docker, skopeo, containerd's
ctr), over HTTP and HTTPS with a login, read-only; `sealift push` copies into a real
docker-registry with TLS and htpasswd, skips what is there, resumes after a kill."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import httpx
import pytest

from imagebuild import build_image
from sealift.market.siteregistry import served_repositories
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout
from sealift.yamltext import dump_yaml
from tests.conftest import SEALIFT, free_port, run_sealift
from tests.siteregistry import (
    COMPONENTS,
    PASSWORD,
    PREFIX,
    USER,
    RegistryStarter,
    Served,
    ServeStarter,
    build_shop,
    docker_config,
    htpasswd_file,
    remove_built_images,
    self_signed,
    wait_until_up,
)

pytestmark = pytest.mark.docker
CONTAINERD = "/var/run/docker/containerd/containerd.sock"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture(scope="module")
def shop_home(
    registry: str, tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Iterator[Path]:
    """A SEALIFT_HOME with shop 1.0.0 (4 components, linux/amd64 + linux/arm64)."""
    work = tmp_path_factory.mktemp("shop")
    home = work / "home"
    try:
        build_shop(registry, home, work)
        yield home
    finally:
        remove_built_images(docker_client, registry)


@pytest.fixture(scope="module")
def expected(shop_home: Path) -> dict[str, str]:
    """`shop/web` -> the digest of its 1.0.0 image in the store."""
    repos = served_repositories(Layout.open(shop_home / "store"))
    return {name: tags["1.0.0"].digest for name, tags in repos.items()}


@pytest.fixture(scope="module")
def served(shop_home: Path) -> Iterator[Served]:
    port = free_port()
    address = f"127.0.0.1:{port}"
    proc = subprocess.Popen(
        [SEALIFT, "--home", str(shop_home), "registry", "serve", "--listen", address],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    running = Served(address, proc)
    wait_until_up(running)
    yield running
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def serve_store() -> Iterator[ServeStarter]:
    starter = ServeStarter()
    yield starter
    starter.stop()


@pytest.fixture
def site_registry(tmp_path: Path) -> Iterator[RegistryStarter]:
    starter = RegistryStarter(tmp_path)
    yield starter
    starter.stop()


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stdout}{result.stderr}"
    return result


# -- registry serve ------------------------------------------------------------------


def test_catalog_and_tags_name_every_component(served: Served, expected: dict[str, str]) -> None:
    assert sorted(expected) == [f"shop/{c}" for c in COMPONENTS]
    catalog = httpx.get(f"{served.url}/v2/_catalog").json()
    assert catalog == {"repositories": sorted(expected)}
    first = httpx.get(f"{served.url}/v2/_catalog", params={"n": 3})
    assert first.json()["repositories"] == sorted(expected)[:3]
    assert first.headers["link"] == f'</v2/_catalog?last={sorted(expected)[2]}&n=3>; rel="next"'
    rest = httpx.get(f"{served.url}/v2/_catalog", params={"n": 3, "last": sorted(expected)[2]})
    assert rest.json()["repositories"] == sorted(expected)[3:]
    assert "link" not in rest.headers
    tags = httpx.get(f"{served.url}/v2/shop/web/tags/list").json()
    assert tags == {"name": "shop/web", "tags": ["1.0.0"]}


def test_manifests_by_tag_and_digest_and_blobs_with_range(
    served: Served, expected: dict[str, str], shop_home: Path
) -> None:
    base = f"{served.url}/v2/shop/web"
    head = httpx.head(f"{base}/manifests/1.0.0")
    assert head.status_code == 200
    assert head.headers["content-type"] == OCI_INDEX
    assert head.headers["docker-content-digest"] == expected["shop/web"]
    index = httpx.get(f"{base}/manifests/{expected['shop/web']}")
    assert len(index.content) == int(head.headers["content-length"])
    platforms = {m["platform"]["architecture"] for m in index.json()["manifests"]}
    assert platforms == {"amd64", "arm64"}
    manifest = httpx.get(f"{base}/manifests/{index.json()['manifests'][0]['digest']}").json()
    layer = manifest["layers"][0]
    blob_url = f"{base}/blobs/{layer['digest']}"
    whole = (shop_home / "store" / "blobs" / "sha256" / layer["digest"][7:]).read_bytes()
    assert int(httpx.head(blob_url).headers["content-length"]) == layer["size"] == len(whole)
    assert httpx.get(blob_url).content == whole
    part = httpx.get(blob_url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = httpx.get(blob_url, headers={"Range": f"bytes={len(whole) - 5}-"})
    assert tail.content == whole[-5:]
    beyond = httpx.get(blob_url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    other = httpx.get(f"{served.url}/v2/shop/api/blobs/sha256:{'0' * 64}")
    assert other.status_code == 404
    assert other.json()["errors"][0]["code"] == "BLOB_UNKNOWN"
    assert httpx.get(f"{base}/manifests/9.9.9").json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    assert httpx.get(f"{served.url}/v2/nope/tags/list").json()["errors"][0]["code"] == (
        "NAME_UNKNOWN"
    )


def test_writes_are_refused_as_unsupported(served: Served, tmp_path: Path) -> None:
    base = f"{served.url}/v2/shop/web"
    for method, path in [
        ("POST", "blobs/uploads/"),
        ("PUT", "manifests/2.0.0"),
        ("PATCH", "blobs/uploads/x"),
        ("DELETE", "manifests/1.0.0"),
    ]:
        resp = httpx.request(method, f"{base}/{path}", content=b"{}")
        assert resp.status_code == 405, (method, path)
        assert resp.json()["errors"][0]["code"] == "UNSUPPORTED"
    oci = tmp_path / "oci"
    run(
        "skopeo",
        "copy",
        "--src-tls-verify=false",
        f"docker://{served.address}/shop/web:1.0.0",
        f"oci:{oci}:x",
    )
    refused = subprocess.run(
        [
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            f"oci:{oci}:x",
            f"docker://{served.address}/shop/new:1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "405" in refused.stderr or "unsupported" in refused.stderr.lower()
    assert httpx.get(f"{served.url}/v2/_catalog").json()["repositories"][-1] == "shop/worker"


def test_skopeo_copies_every_image_with_both_platforms(
    served: Served, expected: dict[str, str], tmp_path: Path
) -> None:
    for name, digest in expected.items():
        oci = tmp_path / name.replace("/", "-")
        run(
            "skopeo",
            "copy",
            "--all",
            "--src-tls-verify=false",
            f"docker://{served.address}/{name}:1.0.0",
            f"oci:{oci}:1.0.0",
        )
        top = json.loads((oci / "index.json").read_text())["manifests"][0]
        assert top["digest"] == digest
        index = json.loads((oci / "blobs" / "sha256" / digest[7:]).read_text())
        for entry in index["manifests"]:
            assert (oci / "blobs" / "sha256" / entry["digest"][7:]).is_file()
        assert len(index["manifests"]) == 2


def test_docker_pulls_every_image_for_both_platforms_and_runs_one(
    served: Served, expected: dict[str, str], docker_client: docker.DockerClient
) -> None:
    pulled = []
    try:
        for name, digest in expected.items():
            image = f"{served.address}/{name}:1.0.0"
            run("docker", "pull", image)
            pulled.append(image)
            repo_digests = docker_client.images.get(image).attrs["RepoDigests"]
            assert f"{served.address}/{name}@{digest}" in repo_digests
        web = f"{served.address}/shop/web:1.0.0"
        out = docker_client.containers.run(web, ["cat", "/etc/shop/web.conf"], remove=True)
        assert b"title=" in out
        for name in expected:  # the other platform's manifest and blobs too
            image = f"{served.address}/{name}:1.0.0"
            run("docker", "pull", "--platform", "linux/arm64", image)
            assert docker_client.images.get(image).attrs["Architecture"] == "arm64"
    finally:
        for image in pulled:
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(image, force=True)


def test_containerd_pulls_every_image_for_both_platforms(
    served: Served, expected: dict[str, str]
) -> None:
    namespace = f"sl-reg-{uuid.uuid4().hex[:8]}"
    ctr = ["ctr", "--address", CONTAINERD, "--namespace", namespace]
    images = [f"{served.address}/{name}:1.0.0" for name in expected]
    try:
        for image in images:
            out = run(*ctr, "images", "pull", "--plain-http", "--all-platforms", image).stdout
            assert "linux/arm64" in out and "linux/amd64" in out
        listing = run(*ctr, "images", "ls").stdout
        for name, digest in expected.items():
            assert any(f"/{name}:1.0.0" in line and digest in line for line in listing.splitlines())
    finally:
        for image in images:
            subprocess.run([*ctr, "images", "rm", image], capture_output=True, timeout=60)
        for _ in range(50):  # containerd frees the content in the background first
            gone = subprocess.run([*ctr, "namespaces", "rm", namespace], capture_output=True)
            if gone.returncode == 0:
                break
            time.sleep(0.2)


def test_ten_parallel_pulls_succeed(
    served: Served, expected: dict[str, str], tmp_path: Path
) -> None:
    names = sorted(expected) * 3

    def pull(i: int) -> str:
        oci = tmp_path / f"pull-{i}"
        run(
            "skopeo",
            "copy",
            "--all",
            "--src-tls-verify=false",
            f"docker://{served.address}/{names[i]}:1.0.0",
            f"oci:{oci}:x",
        )
        return str(json.loads((oci / "index.json").read_text())["manifests"][0]["digest"])

    with ThreadPoolExecutor(10) as pool:
        digests = list(pool.map(pull, range(10)))
    assert digests == [expected[names[i]] for i in range(10)]


def test_https_with_a_login_works_with_skopeo(
    shop_home: Path, expected: dict[str, str], tmp_path: Path, serve_store: ServeStarter
) -> None:
    cert, key = self_signed(tmp_path)
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_bytes(cert.read_bytes())
    users = htpasswd_file(tmp_path)
    served = serve_store(
        shop_home,
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        "--htpasswd",
        str(users),
        scheme="https",
    )
    image = f"docker://{served.address}/shop/api:1.0.0"
    inspect = ["skopeo", "inspect", "--raw", "--cert-dir", str(certs)]
    got = run(*inspect, "--creds", f"{USER}:{PASSWORD}", image).stdout
    assert json.loads(got)["mediaType"] == OCI_INDEX
    anonymous = subprocess.run([*inspect, image], capture_output=True, text=True, timeout=60)
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.lower()
    wrong = subprocess.run(
        [*inspect, "--creds", f"{USER}:nope", image], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode != 0
    untrusted = subprocess.run(
        ["skopeo", "inspect", "--creds", f"{USER}:{PASSWORD}", image],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert untrusted.returncode != 0 and "certificate" in untrusted.stderr
    oci = tmp_path / "oci"
    run(
        "skopeo",
        "copy",
        "--all",
        "--src-cert-dir",
        str(certs),
        "--src-creds",
        f"{USER}:{PASSWORD}",
        image,
        f"oci:{oci}:x",
    )
    assert (
        json.loads((oci / "index.json").read_text())["manifests"][0]["digest"]
        == (expected["shop/api"])
    )


# -- push ----------------------------------------------------------------------------


def test_push_into_a_registry_with_tls_and_a_login(
    shop_home: Path,
    expected: dict[str, str],
    tmp_path: Path,
    site_registry: RegistryStarter,
) -> None:
    cert, key = self_signed(tmp_path)
    target = site_registry(tls=(cert, key), htpasswd=htpasswd_file(tmp_path))
    config = docker_config(tmp_path, target.address)
    to = f"{target.address}/site"
    push = ("push", "shop:1.0.0", "--to", to, "--ca-cert", str(cert))
    refused = run_sealift(shop_home, *push, check=False, env={"DOCKER_CONFIG": str(tmp_path)})
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"docker login {target.address}" in errors[0]

    first = run_sealift(shop_home, *push, env={"DOCKER_CONFIG": str(config)})
    uploads = target.uploads()
    assert uploads > 0 and f"{uploads} blob(s) uploaded" in first.stderr
    mounted = target.requests("POST", "mount=sha256", 201)
    assert mounted > 0 and f"{mounted} mounted" in first.stderr  # the shared busybox layers
    assert sorted(first.stdout.split()) == sorted(
        f"{to}/{name}:1.0.0@{digest}" for name, digest in expected.items()
    )
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_bytes(cert.read_bytes())
    for name, digest in expected.items():
        raw = run(
            "skopeo",
            "inspect",
            "--raw",
            "--cert-dir",
            str(certs),
            "--creds",
            f"{USER}:{PASSWORD}",
            f"docker://{to}/{name}:1.0.0",
        ).stdout
        assert json.loads(raw)["mediaType"] == OCI_INDEX
        assert digest_bytes(raw.encode()) == digest

    before = (
        uploads,
        target.requests("POST", "/blobs/uploads/"),
        target.requests("PUT", "/manifests/"),
    )
    second = run_sealift(shop_home, *push, env={"DOCKER_CONFIG": str(config)})
    after = (
        target.uploads(),
        target.requests("POST", "/blobs/uploads/"),
        target.requests("PUT", "/manifests/"),
    )
    assert after == before
    assert " 0 blob(s) uploaded" in second.stderr


def test_an_interrupted_push_resumes_and_the_image_runs(
    tmp_path: Path,
    docker_client: docker.DockerClient,
    site_registry: RegistryStarter,
) -> None:
    home, local = tmp_path / "home", f"{PREFIX}-big:1"
    build_image(
        docker_client,
        local,
        files={"/marker": "resumed\n"},
        big_file_mib=160,
        cmd=["cat", "/marker"],
    )
    model = {
        "schema": "sealift/v1",
        "name": "big",
        "version": "1.0.0",
        "components": {"app": {"image": local}},
    }
    (tmp_path / "big.yaml").write_text(dump_yaml(model))
    run_sealift(home, "publish", str(tmp_path / "big.yaml"))
    docker_client.images.remove(local, force=True)
    target = site_registry()
    command = [SEALIFT, "--home", str(home), "push", "big:1.0.0", "--to", target.address]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uploads = target.root / "data" / "docker" / "registry" / "v2" / "repositories" / "big" / "app"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.stat().st_size > 20 << 20 for p in uploads.glob("_uploads/*/data")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the push ended before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = target.uploads()
    assert done_before >= 1  # the small blobs went before the big layer

    resumed = run_sealift(home, "push", "big:1.0.0", "--to", target.address)
    sent_again = target.uploads() - done_before
    assert sent_again == 1, resumed.stdout  # only the interrupted layer
    image = f"{target.address}/big/app:1.0.0"
    try:
        run("docker", "pull", image)
        assert docker_client.containers.run(image, remove=True) == b"resumed\n"
    finally:
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(image, force=True)


def test_push_of_one_platform_tags_its_manifest(
    shop_home: Path, expected: dict[str, str], site_registry: RegistryStarter
) -> None:
    target = site_registry()
    run_sealift(shop_home, "push", "shop:1.0.0", "--to", target.address, "--platform", "arm64")
    image = f"docker://{target.address}/shop/store:1.0.0"
    manifest = json.loads(run("skopeo", "inspect", "--raw", "--tls-verify=false", image).stdout)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    config = json.loads(run("skopeo", "inspect", "--config", "--tls-verify=false", image).stdout)
    assert config["architecture"] == "arm64"
    wrong = run_sealift(
        shop_home, "push", "shop:1.0.0", "--to", target.address, "--platform", "s390x", check=False
    )
    assert wrong.returncode == 1 and "has no linux/s390x image" in wrong.stderr


def test_serve_says_in_one_line_what_stops_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        busy = run_sealift(home, "registry", "serve", "--listen", address, check=False)
    assert busy.returncode == 1
    assert busy.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on {address}")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    tls = ("--tls-cert", str(bad), "--tls-key", str(bad))
    refused = run_sealift(home, "registry", "serve", "--listen", address, *tls, check=False)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot load the TLS certificate" in lines[0]
