"""The systemd target for real: a host run by systemd (systemd as PID 1 in a container of a
Debian root filesystem: bullseye has systemd 247, trixie 257) and no container engine.
Inside it, sealift imports the example shop's bundle and installs it with --target systemd;
every component runs as a unit, the shop answers over HTTP, an item survives upgrade and
rollback, a version whose health never passes is restored, uninstall keeps the data and
--purge deletes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_sealift
from tests.rootfs import rootfs_image
from tests.sitepyz import runtime_pyz
from tests.systemdhost import SystemdHost, build_shop_images, shop_model, tools_model

pytestmark = pytest.mark.docker
BUNDLE = "/bundle/shop.tar"
URL = "http://127.0.0.1:18080"
UNITS = ["api", "store", "web", "worker"]


@pytest.fixture(scope="module")
def shop_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """shop 1.0.0, 1.1.0 and 1.2.0 (1.1.0 whose api never becomes healthy) and tools 1.0.0
    in one bundle, with the site runtime sealift.pyz in it."""
    work = tmp_path_factory.mktemp("sl-sd-vendor")
    images = build_shop_images("sl-sd/shop")
    for version, publish_as in (("1.0.0", ""), ("1.1.0", ""), ("1.1.0", "1.2.0")):
        model = work / f"{publish_as or version}.yaml"
        model.write_text(shop_model(version, images, publish_as=publish_as))
        run_sealift(work / "home", "publish", str(model), "--source", "engine")
    tools = work / "tools.yaml"
    tools.write_text(tools_model(images[("worker", "1.0.0")]))
    run_sealift(work / "home", "publish", str(tools), "--source", "engine")
    bundle = work / "shop.tar"
    refs = ["shop:1.0.0", "shop:1.1.0", "shop:1.2.0", "tools:1.0.0"]
    run_sealift(work / "home", "export", *refs, "-o", str(bundle), "--runtime", str(runtime_pyz()))
    return bundle


@pytest.fixture(scope="module", params=["bullseye", "trixie"])
def host(request: pytest.FixtureRequest, shop_bundle: Path) -> Iterator[SystemdHost]:
    running = SystemdHost(rootfs_image(request.param), {shop_bundle: BUNDLE})
    try:
        running.install_sealift(BUNDLE)
        sealift(running, "import", BUNDLE)
        yield running
    finally:
        running.remove()


def sealift(host: SystemdHost, *args: str, check: bool = True) -> str:
    settle = "SEALIFT_SETTLE=1"  # seconds the worker (no health check) must keep running
    done = host.run("env", settle, "sealift", "--home", "/root/site", *args, check=check)
    return done.stdout + done.stderr


def shop_get(host: SystemdHost, path: str, data: str | None = None) -> str:
    return host.get(URL + path, data)


def main_pid(host: SystemdHost, component: str) -> str:
    unit = f"sealift-shop-{component}.service"
    return host.run("systemctl", "show", "-p", "MainPID", "--value", unit).stdout.strip()


def test_the_shop_lives_its_whole_life_on_systemd(host: SystemdHost) -> None:
    sealift(host, "install", "shop:1.0.0", "--target", "systemd", "--set", "public_port=18080")
    for component in UNITS:
        host.run("systemctl", "is-active", "--quiet", f"sealift-shop-{component}.service")
        host.run("systemctl", "is-enabled", "--quiet", f"sealift-shop-{component}.service")
    status = json.loads(sealift(host, "status", "shop", "--json"))[0]
    assert {c["component"]: c["health"] for c in status["components"]} == {
        "api": "healthy",
        "store": "healthy",
        "web": "healthy",
        "worker": "no check",
    }
    assert "API 1.0.0" in shop_get(host, "/")
    assert json.loads(shop_get(host, "/cgi-bin/api/items", "name=teapot")) == {"added": "teapot"}

    store = main_pid(host, "store")
    plan = json.loads(sealift(host, "upgrade", "shop", "1.1.0", "--dry-run", "--json"))
    actions = {step["component"]: step["action"] for step in plan["steps"]}
    assert actions == {
        "api": "recreate",
        "metrics": "create",
        "store": "keep",
        "web": "keep",
        "worker": "recreate",
    }
    out = sealift(host, "upgrade", "shop", "1.1.0")
    assert "flatten component metrics" in out
    assert json.loads(shop_get(host, "/cgi-bin/api/items")) == {"items": ["teapot"], "count": 1}
    assert main_pid(host, "store") == store  # unchanged: kept running, untouched
    host.run("systemctl", "is-active", "--quiet", "sealift-shop-metrics.service")

    out = sealift(host, "rollback", "shop")
    assert "flatten" not in out  # the previous root directories are used again
    assert json.loads(shop_get(host, "/cgi-bin/api/version"))["version"] == "1.0.0"
    assert json.loads(shop_get(host, "/cgi-bin/api/items")) == {"items": ["teapot"]}
    assert (
        host.run("systemctl", "is-active", "sealift-shop-metrics.service", check=False).returncode
        != 0
    )

    out = sealift(host, "upgrade", "shop", "1.2.0", check=False)
    assert "component api: unhealthy" in out and "restored revision 3 (shop:1.0.0)" in out
    assert json.loads(shop_get(host, "/cgi-bin/api/version"))["version"] == "1.0.0"
    history = json.loads(sealift(host, "history", "shop", "--json"))
    assert [r["status"] for r in history] == ["superseded", "superseded", "deployed", "failed"]
    assert "listening on :8081" in sealift(host, "logs", "shop", "api", "--tail", "5")
    follow = ["timeout", "5", "sealift", "--home", "/root/site", "logs", "shop", "api", "--follow"]
    followed = host.run(*follow, check=False)
    assert followed.returncode == 124 and "listening on :8081" in followed.stdout
    assert followed.stderr.strip().splitlines()[-1] == "error: interrupted; nothing was changed"
    readers = "for c in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $c; echo; done 2>/dev/null; true"
    assert "journalctl" not in host.run("sh", "-c", readers).stdout  # none left behind


def test_ports_in_use_are_refused_before_anything_changes(host: SystemdHost) -> None:
    out = sealift(
        host, "install", "shop:1.0.0", "--name", "other", "--target", "systemd", check=False
    )
    assert "port 8081 of api (its port) is already used on this host" in out
    assert "other" not in host.run("ls", "/var/lib/sealift").stdout
    assert host.run("ls", "/etc/systemd/system").stdout.count("sealift-other") == 0


def test_uninstall_keeps_the_data_and_purge_deletes_it(host: SystemdHost) -> None:
    assert "volumes kept" in sealift(host, "uninstall", "shop")
    assert "sealift-shop" not in host.run("systemctl", "list-units", "--all", "sealift-*").stdout
    assert host.run("ls", "/var/lib/sealift/shop/volumes").stdout.split() == ["data"]
    sealift(host, "install", "shop:1.1.0", "--target", "systemd", "--set", "public_port=18080")
    assert json.loads(shop_get(host, "/cgi-bin/api/items"))["items"] == ["teapot"]
    assert "volumes deleted: data" in sealift(host, "uninstall", "shop", "--purge")
    assert host.run("ls", "/var/lib/sealift").stdout.split() == []


def test_a_job_replicas_an_exec_check_and_a_read_only_root(host: SystemdHost) -> None:
    out = sealift(host, "install", "tools:1.0.0", "--target", "systemd")
    assert "init completed" in out and "svc is ready" in out
    status = json.loads(sealift(host, "status", "tools", "--json"))[0]
    states = sorted(
        (c["component"], c["replica"], c["state"], c["health"]) for c in status["components"]
    )
    assert states == [
        ("init", 1, "completed", "job"),
        ("svc", 1, "running", "healthy"),
        ("svc", 2, "running", "healthy"),
    ]
    for replica in ("1", "2"):
        host.run("systemctl", "is-active", "--quiet", f"sealift-tools-svc@{replica}.service")
    data = host.run("ls", "/var/lib/sealift/tools/volumes/data").stdout.split()
    assert "init" in data and len([f for f in data if f.startswith("ok-")]) == 2
    logs = sealift(host, "logs", "tools", "svc")
    assert logs.count("replica up") == 2 and "ROOT-WRITABLE" not in logs
    assert "volumes deleted: data" in sealift(host, "uninstall", "tools", "--purge")
