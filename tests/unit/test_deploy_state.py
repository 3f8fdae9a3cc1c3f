"""state.db: revisions, statuses, masking, file mode; the installation lock."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sealift.deploy.lock import installation_lock, is_locked
from sealift.deploy.operations import check_bind_address
from sealift.deploy.state import SCHEMA_VERSION, StateDB
from sealift.deploy.values import mask_text, parse_given, secrets_masked
from sealift.errors import (
    DeployError,
    LockedError,
    ModelError,
    NotFoundError,
    StoreError,
    UsageError,
)


def begin(state: StateDB, version: str) -> int:
    rev = state.begin_revision(
        "shop",
        "upgrade",
        "shop",
        version,
        "sha256:" + "a" * 64,
        {"port": "80", "pw": "s3cret"},
        ["pw"],
        [{"name": "web"}],
    )
    return rev.number


def test_revisions_and_statuses(tmp_path: Path) -> None:
    state = StateDB(tmp_path / "state.db")
    assert (tmp_path / "state.db").stat().st_mode & 0o777 == 0o600
    state.add_installation("shop", "shop", "docker", {"bind_address": "127.0.0.1"})
    one = begin(state, "1.0.0")
    state.finish_revision("shop", one, "deployed", "install")
    two = begin(state, "1.1.0")
    assert state.current("shop").number == one  # type: ignore[union-attr]
    state.finish_revision("shop", two, "deployed")
    revs = state.revisions("shop")
    assert [(r.number, r.status) for r in revs] == [(1, "superseded"), (2, "deployed")]
    assert revs[1].masked_parameters() == {"port": "80", "pw": "***"}
    assert revs[1].parameters["pw"] == "s3cret"
    assert revs[1].desired == [{"name": "web"}]
    with pytest.raises(NotFoundError, match="no revision 7"):
        state.revision("shop", 7)
    state.delete_installation("shop")
    with pytest.raises(NotFoundError, match="no installation named 'shop'"):
        state.installation("shop")


def test_lock_refuses_second_operation(tmp_path: Path) -> None:
    with installation_lock(tmp_path, "shop", "upgrade"):
        assert is_locked(tmp_path, "shop")
        with (
            pytest.raises(LockedError, match="another operation is running on shop: upgrade"),
            installation_lock(tmp_path, "shop", "rollback"),
        ):
            pass
    assert not is_locked(tmp_path, "shop")


def test_values_from_files_and_set(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("port: 8080\ndebug: true\nname: a\n")
    assert parse_given(["name=b"], [values]) == {"port": "8080", "debug": "true", "name": "b"}
    with pytest.raises(DeployError, match="is not KEY=VALUE"):
        parse_given(["novalue"], [])
    values.write_text("- a\n")
    with pytest.raises(DeployError, match="must be a mapping"):
        parse_given([], [values])


# The schema of the first release (commit 16a3850), which set no user_version.
FIRST_RELEASE_SCHEMA = """
CREATE TABLE installations (
    name TEXT PRIMARY KEY, app TEXT NOT NULL, target TEXT NOT NULL,
    settings TEXT NOT NULL, created TEXT NOT NULL
);
CREATE TABLE revisions (
    installation TEXT NOT NULL REFERENCES installations(name) ON DELETE CASCADE,
    number INTEGER NOT NULL, operation TEXT NOT NULL, app TEXT NOT NULL,
    version TEXT NOT NULL, digest TEXT NOT NULL, parameters TEXT NOT NULL,
    secrets TEXT NOT NULL DEFAULT '[]', desired TEXT NOT NULL, status TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, message TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (installation, number)
);
INSERT INTO installations VALUES ('shop', 'shop', 'docker', '{}', '2026-01-01T00:00:00Z');
INSERT INTO revisions (installation, number, operation, app, version, digest, parameters,
    desired, status, started) VALUES ('shop', 1, 'install', 'shop', '1.0.0', 'sha256:aa',
    '{"pw": "x"}', '[]', 'deployed', '2026-01-01T00:00:00Z');
"""


def test_first_release_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with closing(sqlite3.connect(path)) as db:
        db.executescript(FIRST_RELEASE_SCHEMA)
    state = StateDB(path)
    assert state.current("shop").version == "1.0.0"  # type: ignore[union-attr]
    state.keep_values("shop", {"pw": "x"})
    assert StateDB(path).kept_values("shop") == {"pw": "x"}
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateDB(path)
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="written by a newer sealift") as caught:
        StateDB(path)
    assert "\n" not in str(caught.value)


def test_kept_values_outlive_the_installation(tmp_path: Path) -> None:
    state = StateDB(tmp_path / "state.db")
    state.add_installation("shop", "shop", "docker", {})
    state.keep_values("shop", {"pw": "first"})
    state.delete_installation("shop")
    assert state.kept_values("shop") == {"pw": "first"}
    state.forget_values("shop")
    assert state.kept_values("shop") == {}


def test_secret_values_are_masked_in_errors() -> None:
    text = "parameter 'pin' 'hunter2' is not an integer; env API_KEY=k3y-\"x\" PIN=12; 1.12.0"
    masked = mask_text(text, ["hunter2", 'k3y-"x"', "12"])
    assert masked == "parameter 'pin' '***' is not an integer; env API_KEY=*** PIN=***; 1.12.0"
    with pytest.raises(ModelError) as caught, secrets_masked(["hunter2"]):
        raise ModelError(["parameter 'pin' 'hunter2' is not an integer"], "parameters")
    assert "hunter2" not in caught.value.message and caught.value.problems == [
        "parameter 'pin' '***' is not an integer"
    ]
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_bind_address_must_be_an_ip_address() -> None:
    assert check_bind_address("127.0.0.1") == "127.0.0.1"
    assert check_bind_address("[::1]") == "::1"
    assert check_bind_address(None) == ""
    with pytest.raises(UsageError, match=r"'localhost' is not an IP address.*use 127\.0\.0\.1"):
        check_bind_address("localhost")
    with pytest.raises(UsageError, match="is not an IP address"):
        check_bind_address("0.0.0.0 ")
