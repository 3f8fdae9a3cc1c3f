"""The site runtime on the Pythons and machines of real sites: Debian bullseye (Python 3.9),
trixie (Python 3.13) and, under qemu, bookworm on arm64 (Python 3.11).

The example app (examples/shop 1.0.0 and 1.1.0, both platforms) is exported once, with
`--with-runtime`, into one bundle on a read-only "USB stick". Each site is one container of a
Debian root filesystem (tests/rootfs.py) standing for the site's host: its own python3 and
nothing pip-installed, no network (`--network none`), a noexec /tmp, and the host's Docker
socket. Like sealift run as root on a real host, it sees the engine's processes (`--pid host`)
and may enter their network namespaces (CAP_SYS_ADMIN), which the health checks need. There,
`tar -xf` takes sealift.pyz out of the bundle and `python3 sealift.pyz` imports, installs,
upgrades, rolls back and uninstalls the app, which answers over HTTP on the host."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import httpx
import pytest

from rootfs import rootfs_image
from sitepyz import wheelhouse
from tests.conftest import free_port, run_sealift

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "examples" / "shop"
VENDOR = "127.0.0.1:5055/shop/"  # the image prefix the example models name
PREFIX = f"sl-rts-{uuid.uuid4().hex[:6]}"
ARCHES = ("amd64", "arm64")
USB = "/media/usb"
ITEM = "sl-rts-teapot"


def build_and_push(registry: str) -> str:
    """Build every image of examples/shop for both platforms and push them as
    multi-platform images under the returned prefix in `registry` (the vendor's)."""
    prefix = f"{registry}/{PREFIX}/shop"
    arches = [arg for arch in ARCHES for arg in ("--arch", arch)]
    script = [sys.executable, str(ROOT / "scripts" / "example-images.py"), "--prefix", prefix]
    built = subprocess.run(
        [*script, *arches], check=True, capture_output=True, text=True, timeout=600
    ).stdout
    tags: dict[tuple[str, str], list[str]] = {}  # (component, source) -> its versions
    for line in filter(None, built.splitlines()):
        component, version, source = line.split()
        tags.setdefault((component, source), []).extend(["--tag", version])
    push = [sys.executable, str(ROOT / "scripts" / "push-multiarch.py")]
    for (component, source), versions in tags.items():
        name = f"{prefix}/{component}"
        subprocess.run(
            [*push, name, "--source", source, *arches, *versions],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return prefix


@pytest.fixture(scope="module")
def usb(
    registry: str, docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A folder holding shop.tar: shop 1.0.0 and 1.1.0 with sealift.pyz, exported once."""
    work = tmp_path_factory.mktemp("rts-vendor")
    home, stick = work / "home", work / "usb"
    home.mkdir()
    stick.mkdir()
    try:
        prefix = build_and_push(registry)
        for version in ("1.0.0", "1.1.0"):
            model = work / f"shop-{version}.yaml"
            text = (APP_DIR / version / "sealift.yaml").read_text()
            model.write_text(text.replace(VENDOR, f"{prefix}/"))
            run_sealift(home, "publish", str(model))
        env = {"SEALIFT_WHEELHOUSE": str(wheelhouse())}
        bundle = str(stick / "shop.tar")
        run_sealift(
            home, "export", "shop:1.0.0", "shop:1.1.0", "-o", bundle, "--with-runtime", env=env
        )
        yield stick
    finally:
        for image in docker_client.images.list():
            for tag in image.tags:
                if f"/{PREFIX}/" in tag:
                    docker_client.images.remove(tag, force=True)


class Site:
    """A container of a Debian root filesystem that stands for a site's host."""

    def __init__(self, client: docker.DockerClient, image: str, usb: Path) -> None:
        # no --platform: the 20.10 engine's `docker import` records amd64 for the arm64
        # rootfs too; its arm64 programs run through qemu's binfmt handler all the same
        self.client = client
        self.name = f"{PREFIX}-{image.rpartition(':')[2]}"
        self.instance = f"{self.name}-shop"
        subprocess.run(
            [
                "docker", "run", "-d", "--name", self.name,
                "--network", "none", "--pid", "host", "--cap-add", "SYS_ADMIN",
                "--tmpfs", "/tmp:rw,noexec,nosuid,size=16m",
                "-v", "/var/run/docker.sock:/var/run/docker.sock",
                "-v", f"{usb}:{USB}:ro", "-w", "/root", image, "sleep", "infinity",
            ],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def run(self, command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`sh -c COMMAND` on the site; it must succeed."""
        done = self.attempt(command, timeout)
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
        return done

    def attempt(self, command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "exec", self.name, "sh", "-c", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def sealift(self, *args: str, timeout: float = 600) -> str:
        """`python3 sealift.pyz ARGS`; what it printed (stdout and stderr)."""
        done = self.run(" ".join(["python3", "sealift.pyz", *args]), timeout)
        return done.stdout + done.stderr

    def close(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, timeout=120)
        labelled = {"label": [f"dev.sealift.installation={self.instance}"]}
        for container in self.client.containers.list(all=True, filters=labelled):
            container.remove(force=True)
        for network in self.client.networks.list(filters=labelled):
            network.remove()
        for volume in self.client.volumes.list(filters=labelled):
            volume.remove(force=True)


StartSite = Callable[..., Site]


@pytest.fixture
def site_of(docker_client: docker.DockerClient, usb: Path) -> Iterator[StartSite]:
    """Starts sites by (suite, arch); removes them and what they installed afterwards."""
    started: dict[str, Site] = {}

    def start(suite: str, arch: str = "amd64") -> Site:
        started[suite] = Site(docker_client, rootfs_image(suite, arch), usb)
        return started[suite]

    yield start
    for site in started.values():
        site.close()


def get(port: int, path: str) -> str:
    """The app's answer on the host, waiting up to 60 s for it to come up."""
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            if answer.status_code == 200:
                return answer.text
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the shop did not answer {path} on 127.0.0.1:{port} within 60 s")
        time.sleep(0.5)


def bare_python(site: Site, version: str) -> None:
    """The site has the wanted python3 and no pip at all."""
    found = site.run("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    assert found.stdout.strip() == version
    no_pip = site.attempt("python3 -m pip --version")
    assert no_pip.returncode != 0 and "No module named pip" in no_pip.stderr


def take_out_and_import(site: Site) -> None:
    site.run(f"tar -xf {USB}/shop.tar sealift.pyz && test -f sealift.pyz")
    said = site.sealift("import", f"{USB}/shop.tar")
    assert "shop:1.0.0" in said and "shop:1.1.0" in said


def install(site: Site, port: int, *extra: str) -> None:
    site.sealift(
        "install", "shop:1.0.0", "--name", site.instance, "--set", f"public_port={port}",
        "--bind-address", "127.0.0.1", *extra,
    )  # fmt: skip
    assert "API 1.0.0" in get(port, "/")


def the_other_site_commands(site: Site) -> None:
    """inspect, store check, inventory, status and logs also run from the pyz."""
    assert "sealift.pyz" in site.sealift("bundle", "inspect", f"{USB}/shop.tar")
    site.sealift("store", "check")
    site.sealift("inventory", "-o", "inventory.json")
    assert "shop" in site.run("cat inventory.json").stdout
    assert "healthy" in site.sealift("status", site.instance)
    site.sealift("logs", site.instance, "web")


@pytest.mark.parametrize(("suite", "python"), [("bullseye", "3.9"), ("trixie", "3.13")])
def test_the_pyz_of_a_bundle_runs_the_whole_life_of_an_app(
    site_of: StartSite, suite: str, python: str
) -> None:
    site = site_of(suite)
    bare_python(site, python)
    take_out_and_import(site)
    assert f"python {python}." in site.sealift("version")
    port = free_port()
    install(site, port)
    added = httpx.post(f"http://127.0.0.1:{port}/cgi-bin/api/items", data={"name": ITEM})
    assert added.status_code == 200 and ITEM in get(port, "/cgi-bin/api/items")
    site.sealift("upgrade", site.instance, "1.1.0")
    assert '"version":"1.1.0"' in get(port, "/cgi-bin/api/version")
    assert ITEM in get(port, "/cgi-bin/api/items")  # the data came along
    the_other_site_commands(site)
    site.sealift("rollback", site.instance)
    assert '"version":"1.0.0"' in get(port, "/cgi-bin/api/version")
    assert "1.1.0" in site.sealift("history", site.instance)
    site.sealift("uninstall", site.instance, "--purge")
    labelled = {"label": [f"dev.sealift.installation={site.instance}"]}
    assert site.client.containers.list(all=True, filters=labelled) == []


def test_an_arm64_site_installs_the_arm64_images(site_of: StartSite) -> None:
    """Once per run, under qemu: bookworm on arm64 imports and installs through the pyz."""
    site = site_of("bookworm", "arm64")
    assert site.run("uname -m").stdout.strip() == "aarch64"
    bare_python(site, "3.11")
    take_out_and_import(site)
    port = free_port()
    install(site, port, "--platform", "linux/arm64")
    status = site.sealift("status", site.instance)
    assert "web" in status and "healthy" in status
    labelled = {"label": [f"dev.sealift.installation={site.instance}"]}
    for container in site.client.containers.list(filters=labelled):
        assert site.client.images.get(container.image.id).attrs["Architecture"] == "arm64"
