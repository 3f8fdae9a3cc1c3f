"""`sealift export --as compose`: the package of the example app, extracted on this host and
installed with its own install.sh under `unshare -n` (no network, no sealift), loads its
images and brings the shop up; `docker-compose down` keeps the data; a site without Docker
or Compose, or a tampered file, gets one clear line."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest

from tests.conftest import free_port, run_sealift

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class Package:
    name: str  # the app's name, also the prefix of everything this module creates
    tar: Path
    home: Path


def build_shop(prefix: str) -> dict[str, str]:
    """Build shop 1.1.0's amd64 images; component -> tag."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "example-images.py"),
            "--prefix",
            prefix,
            "--arch",
            "amd64",
            "--version",
            "1.1.0",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    return {comp: f"{prefix}/{comp}:{source}-amd64" for comp, _, source in lines}


def shop_model(name: str, tags: dict[str, str]) -> str:
    text = (ROOT / "examples" / "shop" / "1.1.0" / "sealift.yaml").read_text()
    for comp, tag in tags.items():
        text = text.replace(f"127.0.0.1:5055/shop/{comp}:1.1.0", tag)
    return text.replace("name: shop", f"name: {name}")


def remove_images(client: docker.DockerClient, prefix: str) -> None:
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(prefix):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag)


@pytest.fixture(scope="module")
def package(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Package]:
    name = f"sl-cpkg-{uuid.uuid4().hex[:8]}"
    work = tmp_path_factory.mktemp("cpkg")
    home = work / "home"
    home.mkdir()
    try:
        model = work / "sealift.yaml"
        model.write_text(shop_model(name, build_shop(f"{name}-build/shop")))
        run_sealift(home, "publish", str(model), "--source", "engine")
        tar = work / f"{name}.tar"
        run_sealift(home, "export", f"{name}:1.1.0", "--as", "compose", "-o", str(tar))
        remove_images(docker_client, f"{name}-build/")  # install.sh must load them
        yield Package(name, tar, home)
    finally:
        remove_images(docker_client, f"{name}")


def extract(package: Package, where: Path) -> Path:
    with tarfile.open(package.tar) as tar:
        tar.extractall(where)
    return where / f"{package.name}-1.1.0"


def compose(directory: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", *args],
        cwd=directory,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def install(directory: Path, env: dict[str, str], *wrap: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wrap, "./install.sh"],
        cwd=directory,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_for(url: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(url, timeout=5)
            if text in answer.text:
                return answer.text
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer with {text!r} within {timeout}s")


@pytest.fixture
def project(package: Package, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    directory = extract(package, tmp_path)
    env = {
        "COMPOSE_PROJECT_NAME": f"{package.name}-{uuid.uuid4().hex[:4]}",
        "SEALIFT_BIND_ADDRESS": "127.0.0.1",
        "public_port": str(free_port()),
    }
    try:
        yield directory, env
    finally:
        compose(directory, env, "down", "-v", "--remove-orphans")


def test_the_package_installs_offline_and_down_keeps_the_data(
    package: Package, project: tuple[Path, dict[str, str]], docker_client: docker.DockerClient
) -> None:
    directory, env = project
    assert sorted(p.name for p in directory.iterdir()) == [
        "README.md",
        "SHA256SUMS",
        "configs",
        "defaults.env",
        "docker-compose.yml",
        "images.tar",
        "install.sh",
    ]
    assert not docker_client.images.list(name=f"{package.name}/web")
    started = time.monotonic()
    done = install(directory, env, "unshare", "-n")
    assert done.returncode == 0, done.stderr
    url = f"http://127.0.0.1:{env['public_port']}"
    page = wait_for(url, "API 1.1.0")
    print(f"install.sh until the shop answers: {time.monotonic() - started:.1f}s")
    assert "<h1>Sealift&#32;Shop</h1>" in page  # the title comes from the config file
    assert docker_client.images.get(f"{package.name}/web:1.1.0")
    password = _env_value(directory, "admin_password")
    assert len(password) == 16 and password.isalnum()  # made by install.sh, kept in .env
    api = docker_client.containers.get(f"{env['COMPOSE_PROJECT_NAME']}_api_1")
    assert f"ADMIN_PASSWORD={password}" in api.attrs["Config"]["Env"]
    httpx.post(f"{url}/cgi-bin/api/items", data={"name": "kept-teapot"}).raise_for_status()

    down = compose(directory, env, "down")
    assert down.returncode == 0, down.stderr
    assert docker_client.volumes.get(f"{env['COMPOSE_PROJECT_NAME']}_store-data")
    again = install(directory, env, "unshare", "-n")
    assert again.returncode == 0, again.stderr
    assert _env_value(directory, "admin_password") == password
    wait_for(f"{url}/cgi-bin/api/items", "kept-teapot")


def _env_value(directory: Path, name: str) -> str:
    for line in (directory / ".env").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip("'")
    raise AssertionError(f"{name} not in .env")


def _path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH with the tools install.sh needs, except `missing`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in (
        "dirname",
        "grep",
        "head",
        "tr",
        "sed",
        "sha256sum",
        "df",
        "awk",
        "chmod",
        "docker",
    ):
        found = shutil.which(tool)
        assert found is not None, tool
        if tool not in missing:
            (folder / tool).symlink_to(found)
    return str(folder)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (("docker",), "error: Docker is not installed (no docker command on PATH)"),
        ((), "error: Docker Compose is not installed (no docker-compose, no docker compose)"),
    ],
)
def test_install_sh_without_docker_or_compose_says_so_in_one_line(
    project: tuple[Path, dict[str, str]], tmp_path: Path, missing: tuple[str, ...], message: str
) -> None:
    directory, env = project
    done = install(directory, {**env, "PATH": _path_without(tmp_path, *missing)}, "/bin/sh")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
    assert "run ./install.sh again" in lines[0]


def test_a_tampered_file_fails_the_checksum_before_anything_runs(
    project: tuple[Path, dict[str, str]], docker_client: docker.DockerClient
) -> None:
    directory, env = project
    compose_file = directory / "docker-compose.yml"
    compose_file.write_text(compose_file.read_text().replace("retries: 15", "retries: 1", 1))
    done = install(directory, env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: the package is damaged (changed: docker-compose.yml): copy it again from the "
        "original"
    ]
    project_label = f"com.docker.compose.project={env['COMPOSE_PROJECT_NAME']}"
    assert not docker_client.containers.list(all=True, filters={"label": project_label})


def test_export_as_a_package_refuses_bad_requests_before_writing(
    package: Package, tmp_path: Path
) -> None:
    out = tmp_path / "p.tar"
    two = run_sealift(
        package.home, "export", f"{package.name}:1.1.0", "x:1.0.0", "--as", "compose",
        "-o", str(out), check=False,
    )  # fmt: skip
    assert two.returncode == 2 and "one NAME:VERSION" in two.stderr
    arm = run_sealift(
        package.home, "export", f"{package.name}:1.1.0", "--as", "compose",
        "--platform", "linux/arm64", "-o", str(out), check=False,
    )  # fmt: skip
    assert arm.returncode == 1
    assert arm.stderr.strip().splitlines()[-1].startswith("error: component ")
    assert "linux/arm64" in arm.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_the_helm_package_charts_the_images_it_carries(
    package: Package, tmp_path: Path, registry: str
) -> None:
    """`export --as helm`: the chart passes the real helm, and the images, copied with skopeo
    from the package as its README says, are in the registry by the digests the chart names."""
    from tests.renderapps import HELM, tool

    out = tmp_path / "helm.tar"
    run_sealift(package.home, "export", f"{package.name}:1.1.0", "--as", "helm", "-o", str(out))
    with tarfile.open(out) as tar:
        tar.extractall(tmp_path)
    folder = tmp_path / f"{package.name}-1.1.0"
    chart = folder / f"{package.name}-1.1.0.tgz"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["README.md", chart.name, "images.tar"]
    )
    helm_env = {**os.environ, **{k: str(tmp_path / "helm") for k in HELM_HOMES}}
    lint = subprocess.run(
        [tool(HELM), "lint", str(chart)], capture_output=True, text=True, env=helm_env
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    readme = (folder / "README.md").read_text()
    copies = [
        line.strip() for line in readme.splitlines() if line.strip().startswith("skopeo copy")
    ]
    assert len(copies) == 5
    for line in copies:
        command = [*line.replace("REGISTRY", f"{registry}/site").split(), "--dest-tls-verify=false"]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        [tool(HELM), "template", "t", str(chart), "--set", f"imageRegistry={registry}/site"],
        capture_output=True, text=True, env=helm_env, check=True,
    )  # fmt: skip
    lines = [line.strip() for line in shown.stdout.splitlines()]
    images = {line.split('"')[1] for line in lines if line.startswith("image: ")}
    assert len(images) == 5
    for image in images:
        assert image.startswith(f"{registry}/site/{package.name}/")
        found = subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{image}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert found.returncode == 0, f"{image}: {found.stderr}"


HELM_HOMES = ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")
