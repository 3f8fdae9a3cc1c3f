"""Sizes for people, and refusing early when a disk cannot take what is about to be
written: a 20 GB import should fail in its first second, not at 90%."""

from __future__ import annotations

import os
from pathlib import Path

from sealift.errors import DiskFullError, UsageError

FAT_TYPES = ("vfat", "msdos", "fat")
FAT_MAX_FILE = 4 * 1024**3 - 1  # FAT32 stores a file's size in 32 bits
MOUNTS = Path("/proc/self/mounts")


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


def filesystem_type(directory: Path, mounts: str | None = None) -> str:
    """The type of the file system holding `directory` ("" if unknown), from the mount
    table: the longest mount point that contains it."""
    if mounts is None:
        try:
            mounts = MOUNTS.read_text()
        except OSError:
            return ""
    path = str(directory.absolute())
    best, kind = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def require_file_size(directory: Path, largest: int, advice: str) -> None:
    """Refuse a file that the file system of `directory` cannot hold (FAT32: 4 GiB)."""
    if largest > FAT_MAX_FILE and filesystem_type(directory) in FAT_TYPES:
        raise UsageError(
            f"{directory} is on a FAT file system, whose files stop at 4 GiB, and this file "
            f"would be {human_size(largest)}; {advice}"
        )
