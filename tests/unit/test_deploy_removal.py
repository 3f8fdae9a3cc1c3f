"""Which installations need an app version (so `market remove` refuses it), read from a
real state.db written through StateDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.deploy.removal import installations_needing, remove_version
from sealift.deploy.state import StateDB, Status
from sealift.errors import InUseError


def _revision(state: StateDB, name: str, version: str, status: Status) -> None:
    rev = state.begin_revision(name, "upgrade", "shop", version, "sha256:" + "0" * 64, {}, [], [])
    if status != "pending":
        state.finish_revision(name, rev.number, status)


@pytest.fixture
def state(tmp_path: Path) -> StateDB:
    db = StateDB(tmp_path / "state.db")
    db.add_installation("a", "shop", "docker", {})
    return db


def test_current_previous_and_pending_versions_are_needed(tmp_path: Path, state: StateDB) -> None:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        _revision(state, "a", version, "deployed")
    _revision(state, "a", "2.0.0", "failed")
    _revision(state, "a", "3.0.0", "pending")
    assert installations_needing(tmp_path, "shop:1.2.0") == ["a (runs it)"]
    assert installations_needing(tmp_path, "shop:1.1.0") == ["a (may restore or roll back to it)"]
    assert installations_needing(tmp_path, "shop:3.0.0") == [
        "a (an operation on it is in progress or unfinished)"
    ]
    assert installations_needing(tmp_path, "shop:1.0.0") == []  # two revisions back
    assert installations_needing(tmp_path, "shop:2.0.0") == []  # failed, restored from
    assert installations_needing(tmp_path, "other:1.2.0") == []


def test_remove_names_every_installation_that_needs_it(tmp_path: Path, state: StateDB) -> None:
    _revision(state, "a", "1.0.0", "deployed")
    state.add_installation("b", "shop", "docker", {})
    _revision(state, "b", "1.0.0", "deployed")
    with pytest.raises(InUseError) as caught:
        remove_version(tmp_path, "shop:1.0.0")
    assert "installation(s) a (runs it), b (runs it); upgrade or uninstall them" in str(
        caught.value
    )


def test_no_state_file_means_nothing_is_installed(tmp_path: Path) -> None:
    assert installations_needing(tmp_path, "shop:1.0.0") == []
    assert not (tmp_path / "state.db").exists()
