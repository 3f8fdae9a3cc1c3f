"""One operation at a time per installation: an flock on
`$SEALIFT_HOME/installations/<name>/lock`.

The kernel drops the lock when its process dies, so a crashed operation never blocks the
next one; its revision stays `pending` and `recover_crashed` marks it failed.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sealift.deploy.state import StateDB, now
from sealift.errors import LockedError


def lock_path(home: Path, instance: str) -> Path:
    return home / "installations" / instance / "lock"


@contextmanager
def installation_lock(home: Path, instance: str, operation: str) -> Iterator[None]:
    """Hold the installation's lock, or raise LockedError naming who holds it."""
    path = lock_path(home, instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(_held_message(path, instance)) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd,
            json.dumps({"pid": os.getpid(), "operation": operation, "started": now()}).encode(),
            0,
        )
        yield
    finally:
        os.close(fd)


def is_locked(home: Path, instance: str) -> bool:
    path = lock_path(home, instance)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _held_message(path: Path, instance: str) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    who = (
        f"{info.get('operation', 'an operation')} (pid {info.get('pid', '?')}, "
        f"started {info.get('started', '?')})"
    )
    return f"another operation is running on {instance}: {who}; wait for it to finish and try again"


def recover_crashed(state: StateDB, instance: str) -> list[int]:
    """Mark revisions left `pending` by a dead operation as failed (call under the lock)."""
    recovered = []
    for rev in state.revisions(instance):
        if rev.status == "pending":
            state.finish_revision(
                instance,
                rev.number,
                "failed",
                f"the {rev.operation} (pid {rev.pid}) died before finishing; "
                "recovered by the next operation",
            )
            recovered.append(rev.number)
    return recovered
