# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""Failure injection through the real CLI: engine unreachable, port in use, missing image,
unknown names, a concurrent second operation, SIGINT during an upgrade."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import docker
import pytest

from tests.conftest import run_sealift, sealift_command
from tests.integration.test_deploy_support import (  # noqa: F401 - fixtures
    IMAGE,
    RETAGGED,
    history,
    http_get,
    install,
    market_home,
    site,
)


def test_engine_unreachable(site: tuple[Path, str, int], tmp_path: Path) -> None:
    home, instance, port = site
    result = run_sealift(
        home,
        "install",
        "sldapp:1.0.0",
        "--name",
        instance,
        "--set",
        f"port={port}",
        check=False,
        env={"DOCKER_HOST": f"unix://{tmp_path}/dead.sock"},
    )
    assert result.returncode == 1
    assert "error: the Docker engine is not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use(site: tuple[Path, str, int], docker_client: docker.DockerClient) -> None:
    home, instance, port = site
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = run_sealift(
            home,
            "install",
            "sldapp:1.0.0",
            "--name",
            instance,
            "--set",
            f"port={port}",
            "--bind-address",
            "127.0.0.1",
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} is already in use on this host" in result.stderr
    assert not docker_client.containers.list(
        all=True, filters={"label": [f"dev.sealift.installation={instance}"]}
    )


def test_missing_image_then_loaded_from_store(
    site: tuple[Path, str, int], market_home: Path, docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    for tag in (IMAGE, RETAGGED):
        docker_client.images.remove(tag, force=True)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(IMAGE)
    layers = [
        p for p in (home / "store" / "blobs" / "sha256").iterdir() if p.stat().st_size > 100_000
    ]
    assert layers
    for blob in layers:
        blob.unlink()
    result = run_sealift(
        home, "install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}", check=False
    )
    assert result.returncode == 1
    assert "the image of store (sl-dep-base:1) is missing from the store" in result.stderr

    shutil.rmtree(home / "store")
    shutil.copytree(market_home / "store", home / "store")
    install(home, instance, port)  # the engine lacks the image: loaded from the store
    running = docker_client.containers.get(f"{instance}-web-1").image
    assert running is not None and docker_client.images.get(IMAGE).id == running.id


def test_unknown_names_and_missing_parameters(site: tuple[Path, str, int]) -> None:
    home, instance, _ = site

    unknown = run_sealift(home, "status", "sldep-nope", check=False)
    assert "no installation named 'sldep-nope'" in unknown.stderr
    missing = run_sealift(home, "install", "sldapp:9.9.9", "--name", instance, check=False)
    assert "sldapp:9.9.9 is not in the market" in missing.stderr
    required = run_sealift(home, "install", "sldapp:1.0.0", "--name", instance, check=False)
    assert "parameter 'port' is required" in required.stderr


def _start_bad_upgrade(home: Path, instance: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        sealift_command(home, "upgrade", instance, "1.2.0", "--timeout", "60s"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_pending(home: Path, instance: str) -> None:
    """Until the upgrade has recorded its revision (read from state.db: fast, so that a
    signal can be sent while the upgrade is still replacing containers)."""
    query = "SELECT 1 FROM revisions WHERE installation = ? AND status = 'pending'"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(home / "state.db", timeout=5)) as db:
            if db.execute(query, (instance,)).fetchone():
                return
        time.sleep(0.02)
    raise AssertionError("the upgrade never started")


def test_concurrent_operation_refused(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    try:
        _wait_pending(home, instance)
        second = run_sealift(home, "rollback", instance, check=False)
        assert second.returncode == 1
        assert f"another operation is running on {instance}: upgrade" in second.stderr
        status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
        assert status["status"] == "upgrade in progress"
    finally:
        upgrade.send_signal(signal.SIGINT)
        upgrade.communicate(timeout=60)


@pytest.mark.parametrize("delay", [0.15, 1.5], ids=["replacing-web", "health-gate"])
def test_sigint_during_upgrade_restores(site: tuple[Path, str, int], delay: float) -> None:
    """Ctrl-C while web is being replaced (old container stopping) or while the new one
    waits for its gate: either way the restored web answers as soon as the command ends."""
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    _wait_pending(home, instance)
    time.sleep(delay)
    upgrade.send_signal(signal.SIGINT)
    _, err = upgrade.communicate(timeout=60)
    assert upgrade.returncode != 0
    assert "interrupted" in err and "restored revision 1" in err
    assert http_get(port, attempts=1) == "hello v1"
    assert [r["status"] for r in history(home, instance)] == ["deployed", "failed"]


def test_stopped_component_is_recreated(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    """A container stopped behind sealift's back is not `keep`: the next upgrade starts it."""
    home, instance, port = site
    install(home, instance, port)
    docker_client.containers.get(f"{instance}-web-1").stop(timeout=1)
    plan = json.loads(run_sealift(home, "upgrade", instance, "1.0.1", "--dry-run", "--json").stdout)
    actions = {s["component"]: (s["action"], s["reason"]) for s in plan["steps"]}
    assert actions == {"store": ("keep", ""), "web": ("recreate", "not running")}
    run_sealift(home, "upgrade", instance, "1.0.1", "--timeout", "60s")
    assert http_get(port, attempts=1) == "hello v1"


def test_crashed_operation_is_shown_and_recovered(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    _wait_pending(home, instance)
    upgrade.kill()
    upgrade.communicate(timeout=30)
    status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
    assert status["status"].startswith("interrupted")
    run_sealift(home, "rollback", instance, "1", "--timeout", "60s")
    assert [r["status"] for r in history(home, instance)] == ["superseded", "failed", "deployed"]
    assert http_get(port) == "hello v1"
