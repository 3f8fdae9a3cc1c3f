# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""install, upgrade (dry run, kept containers, data), rollback, uninstall, reinstall, purge:
through the real CLI against the real engine."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import docker
import pytest

from tests.conftest import run_sealift, sealift_command
from tests.integration.test_deploy_support import (  # noqa: F401 - fixtures
    IMAGE,
    exec_in,
    history,
    http_get,
    install,
    market_home,
    site,
)


def container_ids(client: docker.DockerClient, instance: str) -> dict[str, str]:
    found = client.containers.list(
        all=True, filters={"label": [f"dev.sealift.installation={instance}"]}
    )
    return {str(c.name): str(c.id) for c in found}


def test_install_upgrade_rollback(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    install(home, instance, port)
    assert http_get(port) == "hello v1"
    exec_in(docker_client, f"{instance}-store-1", "echo kept > /data/marker")
    before = container_ids(docker_client, instance)

    plan = json.loads(run_sealift(home, "upgrade", instance, "1.1.0", "--dry-run", "--json").stdout)
    actions = {s["component"]: (s["action"], s["reason"]) for s in plan["steps"]}
    assert actions == {
        "store": ("keep", ""),
        "web": ("recreate", "env changed"),
        "worker": ("create", "new component"),
    }
    assert container_ids(docker_client, instance) == before

    run_sealift(home, "upgrade", instance, "1.1.0", "--timeout", "60s")
    after = container_ids(docker_client, instance)
    assert after[f"{instance}-store-1"] == before[f"{instance}-store-1"]
    assert after[f"{instance}-web-1"] != before[f"{instance}-web-1"]
    assert f"{instance}-worker-1" in after
    assert http_get(port) == "hello v2"
    assert exec_in(docker_client, f"{instance}-store-1", "cat /data/marker") == "kept"

    run_sealift(home, "rollback", instance, "--timeout", "60s")
    assert f"{instance}-worker-1" not in container_ids(docker_client, instance)
    assert http_get(port) == "hello v1"
    revisions = history(home, instance)
    assert [(r["version"], r["status"], r["operation"]) for r in revisions] == [
        ("1.0.0", "superseded", "install"),
        ("1.1.0", "superseded", "upgrade"),
        ("1.0.0", "deployed", "rollback"),
    ]
    assert all(r["parameters"]["password"] == "***" for r in revisions)


def test_same_image_under_another_tag_is_kept(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    """1.0.1 tags the very image of 1.0.0 differently: nothing to recreate."""
    home, instance, port = site
    install(home, instance, port)
    before = container_ids(docker_client, instance)
    plan = json.loads(run_sealift(home, "upgrade", instance, "1.0.1", "--dry-run", "--json").stdout)
    assert {s["component"]: s["action"] for s in plan["steps"]} == {"store": "keep", "web": "keep"}
    shown = run_sealift(home, "upgrade", instance, "1.0.1", "--dry-run").stdout
    assert "nothing to change (dry run)" in shown
    run_sealift(home, "upgrade", instance, "1.0.1", "--timeout", "60s")
    assert container_ids(docker_client, instance) == before
    assert [r["version"] for r in history(home, instance)] == ["1.0.0", "1.0.1"]


def test_generated_secret_kept_and_never_shown(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    install(home, instance, port)
    secret = exec_in(docker_client, f"{instance}-web-1", "echo $PASSWORD")
    assert len(secret) == 12
    run_sealift(home, "upgrade", instance, "1.1.0", "--timeout", "60s")
    assert exec_in(docker_client, f"{instance}-web-1", "echo $PASSWORD") == secret
    shown = (
        run_sealift(home, "status", instance, "--json").stdout
        + run_sealift(home, "history", instance, "--json").stdout
    )
    assert secret not in shown
    assert (home / "state.db").stat().st_mode & 0o777 == 0o600


def test_failed_upgrade_is_rolled_back_with_data(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    install(home, instance, port)
    exec_in(docker_client, f"{instance}-store-1", "echo kept > /data/marker")
    result = run_sealift(home, "upgrade", instance, "1.2.0", "--timeout", "3s", check=False)
    assert result.returncode != 0
    assert "component web" in result.stderr and "/missing" in result.stderr
    assert "restored revision 1" in result.stderr
    assert "last log lines of web" in result.stderr
    assert http_get(port) == "hello v1"
    assert exec_in(docker_client, f"{instance}-store-1", "cat /data/marker") == "kept"
    assert [r["status"] for r in history(home, instance)] == ["deployed", "failed"]


def test_unhealthy_version_fails_long_before_the_timeout(site: tuple[Path, str, int]) -> None:
    """1.3.0's web fails 3 checks in a row (200ms apart, no start period): unhealthy, so the
    upgrade gives up at once, as Docker would, instead of waiting out --timeout."""
    home, instance, port = site
    install(home, instance, port)
    started = time.monotonic()
    result = run_sealift(home, "upgrade", instance, "1.3.0", "--timeout", "5m", check=False)
    assert result.returncode != 0
    assert time.monotonic() - started < 30
    assert (
        "component web: unhealthy: health check (http GET :8080/missing) failed 3 times in a "
        "row: GET /missing answered 404; restored revision 1" in result.stderr
    )
    assert "last log lines of web" in result.stderr
    assert http_get(port, attempts=1) == "hello v1"


def test_uninstall_keeps_data_reinstall_finds_it_purge_deletes(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    install(home, instance, port)
    exec_in(docker_client, f"{instance}-store-1", "echo kept > /data/marker")
    out = run_sealift(home, "uninstall", instance)
    assert f"{instance}-store-data" in out.stderr
    assert container_ids(docker_client, instance) == {}
    docker_client.volumes.get(f"{instance}-store-data")

    install(home, instance, port)
    assert exec_in(docker_client, f"{instance}-store-1", "cat /data/marker") == "kept"
    run_sealift(home, "uninstall", instance, "--purge")
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(f"{instance}-store-data")


def test_status_and_logs(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    install(home, instance, port)
    status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
    comps = {c["component"]: c for c in status["components"]}
    assert comps["web"]["health"] == "healthy" and comps["web"]["state"] == "running"
    assert comps["web"]["ports"] == [f"127.0.0.1:{port}->8080/tcp"]
    assert comps["store"]["restarts"] == 0
    http_get(port)
    logs = run_sealift(home, "logs", instance, "web", "--tail", "5")
    assert logs.returncode == 0
    typo = run_sealift(home, "logs", instance, "wbe", check=False)
    assert typo.returncode == 1
    assert typo.stderr.strip() == (
        f"error: {instance} has no component named 'wbe'; it has store, web"
    )


TICKER = f"""schema: sealift/v1
name: ticker
version: 1.0.0
components:
  tick:
    image: {IMAGE}
    replicas: 2
    command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]
"""


def test_logs_of_every_replica_also_when_followed(
    site: tuple[Path, str, int], tmp_path: Path
) -> None:
    home, instance, _ = site
    (tmp_path / "ticker.yaml").write_text(TICKER)
    run_sealift(home, "publish", str(tmp_path / "ticker.yaml"))
    run_sealift(home, "install", "ticker:1.0.0", "--name", instance, "--timeout", "60s")
    names = {f"[{instance}-tick-1]", f"[{instance}-tick-2]"}
    logs = run_sealift(home, "logs", instance, "tick", "--tail", "2").stdout.splitlines()
    assert {line.split()[0] for line in logs} == names and len(logs) == 4
    follow = subprocess.Popen(
        sealift_command(home, "logs", instance, "tick", "--tail", "0", "--follow"),
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    try:
        assert follow.stdout is not None
        deadline = time.monotonic() + 20
        while seen != names and time.monotonic() < deadline:
            seen.add(follow.stdout.readline().split()[0])
    finally:
        follow.kill()
        follow.wait()
    assert seen == names
