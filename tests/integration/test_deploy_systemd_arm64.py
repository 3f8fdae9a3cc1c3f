"""The example shop's arm64 images installed with --target systemd on an arm64 host (a
Debian bookworm arm64 root filesystem run by systemd, under qemu): install and status, one
flow per run (emulation is slow)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_sealift
from tests.rootfs import rootfs_image
from tests.sitepyz import runtime_pyz
from tests.systemdhost import SystemdHost, build_shop_images, shop_model

pytestmark = pytest.mark.docker
BUNDLE = "/bundle/shop.tar"


@pytest.fixture
def arm64_host(tmp_path: Path) -> Iterator[SystemdHost]:
    model = tmp_path / "shop.yaml"
    model.write_text(shop_model("1.0.0", build_shop_images("sl-sd/shop", "arm64")))
    home, bundle = tmp_path / "vendor", tmp_path / "shop.tar"
    run_sealift(home, "publish", str(model), "--source", "engine", "--platform", "linux/arm64")
    run_sealift(home, "export", "shop:1.0.0", "-o", str(bundle), "--runtime", str(runtime_pyz()))
    host = SystemdHost(rootfs_image("bookworm", "arm64"), {bundle: BUNDLE}, boot_timeout=180)
    try:
        host.install_sealift(BUNDLE)
        yield host
    finally:
        host.remove()


def test_the_arm64_shop_installs_on_an_arm64_systemd_host(arm64_host: SystemdHost) -> None:
    host = arm64_host
    assert host.run("uname", "-m").stdout.strip() == "aarch64"
    site = ("sealift", "--home", "/root/site")
    host.run(*site, "import", BUNDLE, timeout=600)
    host.run(
        *site,
        "install",
        "shop:1.0.0",
        "--target",
        "systemd",
        "--set",
        "public_port=18080",
        timeout=600,
    )
    status = json.loads(host.run(*site, "status", "shop", "--json").stdout)[0]
    assert {c["component"]: c["state"] for c in status["components"]} == {
        "api": "running",
        "store": "running",
        "web": "running",
        "worker": "running",
    }
    assert "API 1.0.0" in host.get("http://127.0.0.1:18080/")
