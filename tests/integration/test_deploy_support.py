"""Helpers shared by the deploy tests (no tests here): a small app in three versions."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from sealift.yamltext import dump_yaml
from tests.conftest import free_port, run_sealift
from tests.imagebuild import build_image

IMAGE = "sl-dep-base:1"
RETAGGED = "sl-dep-base:again"  # the same image under another tag
WEB_CMD = 'mkdir -p /tmp/w && echo "$MSG" > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w'


def app_model(
    version: str,
    *,
    msg: str,
    worker: bool = False,
    web_health: dict[str, Any] | None = None,
    image: str = IMAGE,
) -> dict[str, Any]:
    components: dict[str, Any] = {
        "store": {
            "image": image,
            "command": ["sh", "-c", "exec httpd -f -p 9000 -h /data"],
            "volumes": [{"name": "data", "path": "/data"}],
            "configs": [{"path": "/etc/store/store.conf", "content": "level=info\n"}],
            "health": {"tcp": {"port": 9000}, "interval": "200ms"},
        },
        "web": {
            "image": image,
            "command": ["sh", "-c", WEB_CMD],
            "env": {"MSG": msg, "PASSWORD": "${password}"},
            "ports": [{"port": 8080, "expose": True, "host_port": "${port}"}],
            "depends_on": ["store"],
            "health": web_health or {"http": {"path": "/", "port": 8080}, "interval": "200ms"},
        },
    }
    if worker:
        components["worker"] = {"image": IMAGE, "command": ["sleep", "3600"], "depends_on": ["web"]}
    return {
        "schema": "sealift/v1",
        "name": "sldapp",
        "version": version,
        "parameters": {"port": {"type": "integer"}, "password": {"secret": True, "generate": 12}},
        "components": components,
    }


MISSING_PAGE = {"path": "/missing", "port": 8080}
VERSIONS = {
    "1.0.0": app_model("1.0.0", msg="hello v1"),
    "1.0.1": app_model("1.0.1", msg="hello v1", image=RETAGGED),  # a rebuild, same digest
    "1.1.0": app_model("1.1.0", msg="hello v2", worker=True),
    # never healthy, but within its long start period: fails only at --timeout
    "1.2.0": app_model(
        "1.2.0",
        msg="broken",
        web_health={"http": MISSING_PAGE, "interval": "200ms", "start_period": "10m"},
    ),
    # never healthy: unhealthy after 3 failed checks, 200ms apart, whatever the --timeout
    "1.3.0": app_model(
        "1.3.0", msg="broken", web_health={"http": MISSING_PAGE, "interval": "200ms", "retries": 3}
    ),
}


def publish_versions(home: Path, work: Path) -> None:
    for version, model in VERSIONS.items():
        path = work / f"sldapp-{version}.yaml"
        path.write_text(dump_yaml(model))
        run_sealift(home, "publish", str(path))


def copy_home(source: Path, dest: Path) -> Path:
    shutil.copytree(source / "store", dest / "store")
    return dest


def exec_in(client: docker.DockerClient, container: str, command: str) -> str:
    result = client.containers.get(container).exec_run(["sh", "-c", command])
    output = result.output
    assert isinstance(output, bytes)
    return output.decode().strip()


def history(home: Path, instance: str) -> list[dict[str, Any]]:
    return list(json.loads(run_sealift(home, "history", instance, "--json").stdout))


def http_get(port: int, attempts: int = 10) -> str:
    """GET / on the published port; a few retries cover the engine's port proxy starting."""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
                return bytes(answer.read()).decode().strip()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def cleanup(client: docker.DockerClient, instance: str) -> None:
    """Remove whatever a test left behind for `instance` (containers, network, volumes)."""
    label: dict[str, str | list[str] | bool] = {"label": [f"dev.sealift.installation={instance}"]}
    for container in client.containers.list(all=True, filters=label):
        container.remove(force=True)
    for network in client.networks.list(filters=label):
        network.remove()
    for volume in client.volumes.list(filters=label):
        volume.remove(force=True)


os.environ.setdefault("SEALIFT_SETTLE", "0.5")


@pytest.fixture(scope="module")
def market_home(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    # a file of its own so that removing the image really deletes it (no shared build cache)
    build_image(docker_client, IMAGE, files={"/etc/sl-dep": "sealift deploy tests"})
    docker_client.images.get(IMAGE).tag(RETAGGED)
    home = tmp_path_factory.mktemp("deploy-market")
    publish_versions(home, home)
    yield home
    for tag in (RETAGGED, IMAGE):
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.images.remove(tag, force=True)


@pytest.fixture
def site(
    market_home: Path,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[Path, str, int]]:
    """A site home with the three versions, an instance name and a free port."""
    instance = "sldep-" + request.node.name.removeprefix("test_").replace("_", "-")[:20].strip("-")
    home = copy_home(market_home, tmp_path / "site")
    yield home, instance, free_port()
    cleanup(docker_client, instance)


def install(home: Path, instance: str, port: int, version: str = "1.0.0") -> None:
    run_sealift(
        home,
        "install",
        f"sldapp:{version}",
        "--name",
        instance,
        "--set",
        f"port={port}",
        "--bind-address",
        "127.0.0.1",
        "--timeout",
        "60s",
    )


def wait_pending(home: Path, instance: str) -> None:
    """Until the operation has recorded its revision (read from state.db: fast, so that a
    signal can be sent while the upgrade is still replacing containers)."""
    query = "SELECT 1 FROM revisions WHERE installation = ? AND status = 'pending'"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (home / "state.db").exists():
            with (
                contextlib.closing(sqlite3.connect(home / "state.db", timeout=5)) as db,
                contextlib.suppress(sqlite3.OperationalError),  # tables not made yet
            ):
                if db.execute(query, (instance,)).fetchone():
                    return
        time.sleep(0.02)
    raise AssertionError("the upgrade never started")
