# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""state.db never contradicts what runs: a full disk under it after the rollout, a file
written by the first release (commit 16a3850), a file from a newer release, an install
killed before its first revision."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sealift.yamltext import dump_yaml
from tests.conftest import run_sealift, sealift_command
from tests.integration.test_deploy_support import (  # noqa: F401 - fixtures
    VERSIONS,
    history,
    http_get,
    install,
    market_home,
    site,
    wait_pending,
)

FIRST_RELEASE = "16a3850"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmpfs_home(site: tuple[Path, str, int], tmp_path: Path) -> Iterator[tuple[Path, str, int]]:
    """The site's home on a 16 MiB tmpfs of its own, so that its disk can be filled."""
    home, instance, port = site
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    try:
        subprocess.run(["cp", "-a", f"{home}/.", str(mount)], check=True)
        yield mount, instance, port
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(directory: Path, leave: int = 0) -> Path:
    """Fill the file system of `directory`, leaving about `leave` bytes free."""
    filler = directory / "filler"
    free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
    with contextlib.suppress(OSError), filler.open("wb") as out:
        out.write(b"\0" * max(0, free - leave))
        out.flush()
        os.fsync(out.fileno())
        while not leave:
            out.write(b"\0" * 4096)
            out.flush()
    return filler


def test_full_disk_under_state_db(tmpfs_home: tuple[Path, str, int]) -> None:
    home, instance, port = tmpfs_home
    install(home, instance, port)
    filler = _fill(home, leave=1024 * 1024)
    refused = run_sealift(home, "upgrade", instance, "1.1.0", "--timeout", "60s", check=False)
    assert refused.returncode == 1
    (line,) = [x for x in refused.stderr.splitlines() if x.startswith("error:")]
    assert "recording the operation in state.db needs 4.0 MiB" in line and "nothing was" in line
    filler.unlink()
    assert http_get(port, attempts=1) == "hello v1"

    upgrade = subprocess.Popen(
        sealift_command(home, "upgrade", instance, "1.1.0", "--timeout", "60s"),
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_pending(home, instance)
    filler = _fill(home)  # the disk fills while the rollout runs
    _, err = upgrade.communicate(timeout=120)
    assert upgrade.returncode == 1, err
    assert f"{instance} runs sldapp:1.1.0 (revision 2), but state.db could not record it" in err
    assert http_get(port, attempts=1) == "hello v2"
    filler.unlink()
    status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
    assert (status["version"], status["revision"], status["status"]) == ("1.1.0", 2, "deployed")
    assert [r["status"] for r in history(home, instance)] == ["superseded", "deployed"]
    assert http_get(port, attempts=1) == "hello v2"


def _first_release(tmp_path: Path) -> Path:
    """The source tree of the first release, taken from git."""
    tree = tmp_path / "first-release"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", FIRST_RELEASE, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree / "src"


def _old_sealift(source: Path, home: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(source)}
    command = [sys.executable, "-m", "sealift.cli", "--home", str(home), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr


def test_state_written_by_the_first_release_is_migrated(
    site: tuple[Path, str, int], tmp_path: Path
) -> None:
    _, instance, port = site
    home = tmp_path / "old-home"
    old = _first_release(tmp_path)
    for version in ("1.0.0", "1.1.0"):
        model = tmp_path / f"sldapp-{version}.yaml"
        model.write_text(dump_yaml(VERSIONS[version]))
        _old_sealift(old, home, "publish", str(model))
    _old_sealift(
        old, home, "install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}",
        "--bind-address", "127.0.0.1", "--timeout", "60s",
    )  # fmt: skip
    with contextlib.closing(sqlite3.connect(home / "state.db")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert [r["status"] for r in history(home, instance)] == ["deployed"]
    status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
    assert (status["version"], status["status"]) == ("1.0.0", "deployed")
    run_sealift(home, "upgrade", instance, "1.1.0", "--timeout", "60s")
    assert http_get(port) == "hello v2"
    with contextlib.closing(sqlite3.connect(home / "state.db")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1

    with contextlib.closing(sqlite3.connect(home / "state.db")) as db:
        db.execute("PRAGMA user_version = 99")
    newer = run_sealift(home, "status", check=False)
    assert newer.returncode == 1
    assert newer.stderr.count("\n") == 1 and "written by a newer sealift" in newer.stderr


def test_install_killed_before_its_first_revision_leaves_nothing(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    install_cmd = sealift_command(
        home, "install", "sldapp:1.2.0", "--name", instance, "--set", f"port={port}",
        "--bind-address", "127.0.0.1", "--timeout", "60s",
    )  # fmt: skip
    killed = subprocess.Popen(install_cmd, stderr=subprocess.PIPE, text=True)
    wait_pending(home, instance)
    killed.kill()
    killed.communicate(timeout=30)
    assert json.loads(run_sealift(home, "status", "--json").stdout) == []
    label = {"label": [f"dev.sealift.installation={instance}"]}
    assert not docker_client.containers.list(all=True, filters=label)
    install(home, instance, port)
    assert http_get(port) == "hello v1"
