"""One operation at a time per installation: an flock on
`$SEALIFT_HOME/installations/<name>/lock`.

The kernel drops the lock when its process dies, so a crashed operation never blocks the
next one; its revision stays `pending` until the next command settles it (`recovery.py`).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sealift.errors import LockedError
from sealift.formats import utc_timestamp


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
            json.dumps(
                {"pid": os.getpid(), "operation": operation, "started": utc_timestamp()}
            ).encode(),
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


__all__ = ["installation_lock", "is_locked", "lock_path"]
