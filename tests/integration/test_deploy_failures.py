# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""Failure injection through the real CLI: engine unreachable, port in use, missing image,
unknown names, a concurrent second operation, SIGINT during an upgrade."""

from __future__ import annotations

import json
import shutil
import signal
import socket
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
    wait_pending,
)


def _install_without_engine(home: Path, instance: str, port: int, *extra: str) -> list[str]:
    """stderr of an install against a socket nobody listens on, without progress lines."""
    dead = home.parent / "dead.sock"
    result = run_sealift(
        home,
        *extra,
        "install",
        "sldapp:1.0.0",
        "--name",
        instance,
        "--set",
        f"port={port}",
        check=False,
        env={"DOCKER_HOST": f"unix://{dead}", "SEALIFT_DEBUG": ""},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if not line.startswith(("==> ", "    "))]


def test_engine_unreachable(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    assert _install_without_engine(home, instance, port) == [
        f"error: the Docker engine is not reachable at unix://{home.parent}/dead.sock "
        "(no such socket): start dockerd, or point DOCKER_HOST at a running engine"
    ]
    lines = _install_without_engine(home, instance, port, "--debug")
    error = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    assert lines[error].startswith("error: the Docker engine is not reachable")
    causes = lines[error + 1 :]
    assert causes and all(line.startswith("  caused by ") for line in causes)
    assert "FileNotFoundError" in causes[-1]
    assert any(line.startswith("debug: ") for line in lines[:error])


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


def test_concurrent_operation_refused(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    try:
        wait_pending(home, instance)
        second = run_sealift(home, "rollback", instance, check=False)
        assert second.returncode == 1
        assert f"another operation is running on {instance}: upgrade" in second.stderr
        status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
        assert status["status"] == "upgrade in progress"
    finally:
        upgrade.send_signal(signal.SIGINT)
        upgrade.communicate(timeout=60)


@pytest.mark.parametrize(
    ("delay", "signum"),
    [
        (0.15, signal.SIGINT),
        (1.5, signal.SIGINT),
        (0.15, signal.SIGTERM),
        (1.5, signal.SIGHUP),
    ],
    ids=["replacing-web-int", "health-gate-int", "replacing-web-term", "health-gate-hup"],
)
def test_signal_during_upgrade_restores(
    site: tuple[Path, str, int], delay: float, signum: signal.Signals
) -> None:
    """Ctrl-C, SIGTERM or SIGHUP (an SSH session dropping) while web is being replaced (old
    container stopping) or while the new one waits for its gate: either way the restored
    web answers as soon as the command ends, which says so in one line."""
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    wait_pending(home, instance)
    time.sleep(delay)
    upgrade.send_signal(signum)
    _, err = upgrade.communicate(timeout=60)
    assert upgrade.returncode == 128 + signum
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "interrupted" in line and "restored revision 1" in line
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


@pytest.mark.parametrize("next_command", ["status", "rollback"])
def test_crashed_operation_is_recovered_by_the_next_command(
    site: tuple[Path, str, int], next_command: str
) -> None:
    """kill -9 mid-upgrade: the next command (status too, as it promises) restores the
    revision that ran before; `rollback INSTANCE` then says it runs again."""
    home, instance, port = site
    install(home, instance, port)
    upgrade = _start_bad_upgrade(home, instance)
    wait_pending(home, instance)
    time.sleep(0.5)  # into the replacing of web
    upgrade.kill()
    upgrade.communicate(timeout=30)
    extra = ["--json"] if next_command == "status" else ["--timeout", "60s"]
    result = run_sealift(home, next_command, instance, *extra)
    if next_command == "status":
        status = json.loads(result.stdout)[0]
        assert (status["revision"], status["status"]) == (1, "failed")
        assert {c["component"]: c["health"] for c in status["components"]} == {
            "store": "healthy",
            "web": "healthy",
        }
    else:
        assert f"{instance} runs sldapp:1.0.0 again (revision 1)" in result.stderr
    assert http_get(port, attempts=1) == "hello v1"
    revisions = history(home, instance)
    assert [r["status"] for r in revisions] == ["deployed", "failed"]
    assert "died before finishing" in revisions[1]["message"]
    assert "restored revision 1" in revisions[1]["message"]


def test_rollback_right_after_a_first_upgrade(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    install(home, instance, port)
    run_sealift(home, "upgrade", instance, "1.1.0", "--timeout", "60s")
    assert http_get(port) == "hello v2"
    run_sealift(home, "rollback", instance, "--timeout", "60s")
    assert http_get(port) == "hello v1"
    assert [r["status"] for r in history(home, instance)] == [
        "superseded",
        "superseded",
        "deployed",
    ]
