"""state.db: revisions, statuses, masking, file mode; the installation lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.deploy.lock import installation_lock, is_locked, recover_crashed
from sealift.deploy.state import StateDB
from sealift.deploy.values import parse_given
from sealift.errors import DeployError, LockedError, NotFoundError


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


def test_lock_refuses_second_operation_and_recovers_crash(tmp_path: Path) -> None:
    state = StateDB(tmp_path / "state.db")
    state.add_installation("shop", "shop", "docker", {})
    pending = begin(state, "1.0.0")
    with installation_lock(tmp_path, "shop", "upgrade"):
        assert is_locked(tmp_path, "shop")
        with (
            pytest.raises(LockedError, match="another operation is running on shop: upgrade"),
            installation_lock(tmp_path, "shop", "rollback"),
        ):
            pass
        assert recover_crashed(state, "shop") == [pending]
    assert not is_locked(tmp_path, "shop")
    assert state.revision("shop", pending).status == "failed"


def test_values_from_files_and_set(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("port: 8080\ndebug: true\nname: a\n")
    assert parse_given(["name=b"], [values]) == {"port": "8080", "debug": "true", "name": "b"}
    with pytest.raises(DeployError, match="is not KEY=VALUE"):
        parse_given(["novalue"], [])
    values.write_text("- a\n")
    with pytest.raises(DeployError, match="must be a mapping"):
        parse_given([], [values])
