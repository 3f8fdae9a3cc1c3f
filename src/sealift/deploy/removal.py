"""Removing an app version from the market, refused while an installation needs it.

An installation needs the versions of its deployed revision (it runs it), of the
deployed revision before that (what `rollback` and an automatic restore go back to)
and of a revision still pending (an operation in progress, or one that died and is
restored by the next command). The CLI and the web console both call `remove_version`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sealift.deploy.state import Revision, StateDB
from sealift.errors import InUseError
from sealift.market.catalog import Market
from sealift.market.format import split_ref

STATE_FILE = "state.db"
STORE_DIR = "store"


@dataclass(frozen=True)
class Removed:
    ref: str
    blobs: int  # blobs freed
    bytes: int


def remove_version(home: Path, ref: str, on_wait: Callable[[], None] | None = None) -> Removed:
    """Remove `ref` (NAME:VERSION) from the market in `home` and free the blobs nothing
    else uses; refused, naming the installations, while any of them needs it."""
    name, version = split_ref(ref)
    users = installations_needing(home, ref)
    if users:
        raise InUseError(
            f"{ref} is still needed by installation(s) {', '.join(users)}; upgrade or "
            f"uninstall {'them' if len(users) > 1 else 'it'} first (`sealift status` "
            "shows what runs)"
        )
    count, freed = Market(home / STORE_DIR).remove(name, version, on_wait)
    return Removed(ref, count, freed)


def installations_needing(home: Path, ref: str) -> list[str]:
    """Installations (with why, e.g. `shop (runs it)`) that need app version `ref`."""
    if not (home / STATE_FILE).exists():  # a vendor's machine: nothing is installed
        return []
    state = StateDB(home / STATE_FILE)
    out: list[str] = []
    for inst in state.installations():
        why = _why_needed(state.revisions(inst.name), ref)
        if why:
            out.append(f"{inst.name} ({why})")
    return out


def _why_needed(revisions: list[Revision], ref: str) -> str:
    deployed = [r for r in revisions if r.status == "deployed"]
    current = deployed[-1] if deployed else None
    if current is not None and current.ref == ref:
        return "runs it"
    if any(r.status == "pending" and r.ref == ref for r in revisions):
        return "an operation on it is in progress or unfinished"
    before = [
        r
        for r in revisions
        if r.status == "superseded" and (current is None or r.number < current.number)
    ]
    if before and before[-1].ref == ref:
        return "may restore or roll back to it"
    return ""


__all__ = ["Removed", "installations_needing", "remove_version"]
