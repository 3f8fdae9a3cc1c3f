"""Sizes for people, and refusing early when a disk cannot take what is about to be
written: a 20 GB import should fail in its first second, not at 90%."""

from __future__ import annotations

import os
from pathlib import Path

from sealift.errors import DiskFullError


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem of `directory` (or of
    its closest existing parent)."""
    path = directory.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def require_space(directory: Path, needed: int, what: str, advice: str) -> None:
    """DiskFullError naming both sizes when `directory` has less than `needed` free."""
    free = free_bytes(directory)
    if needed > free:
        raise DiskFullError(
            f"{what} needs {human_size(needed)} but {directory} has {human_size(free)} free; "
            f"{advice}"
        )
