"""Where a bundle to import comes from: a browser upload, streamed to disk as it arrives,
or a file in the directory the operator allowed at start-up (`--import-dir`), which a
name given by the browser can never leave (no `..`, no absolute path, no symlink)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import NotFoundError, UsageError
from sealift.space import require_space

MAX_LISTED = 500
MAX_DEPTH = 3
PART_MAX_AGE = 2 * 86400.0  # an upload nobody goes on with for two days is removed
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Offered:
    name: str  # relative to the import directory
    size: int


def offered_files(root: Path) -> list[Offered]:
    """Regular files under `root` (at most MAX_DEPTH deep), symlinks left out."""
    found: list[Offered] = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        depth = len(Path(directory).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if depth + 1 < MAX_DEPTH and not d.startswith("."))
        for name in sorted(files):
            path = Path(directory, name)
            if not path.is_symlink() and path.is_file() and not name.startswith("."):
                found.append(Offered(str(path.relative_to(root)), path.stat().st_size))
            if len(found) >= MAX_LISTED:
                return found
    return found


def inside(root: Path, name: str) -> Path:
    """The file `name` (relative) names under `root`; refused if it would leave `root`
    or pass through a symlink."""
    refused = UsageError(f"{name!r} is not a file of the import directory; pick one from the list")
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts or "\x00" in name:
        raise refused
    base = root.resolve()
    path = base.joinpath(*parts)
    if os.path.realpath(path) != str(path):  # a symlink somewhere on the way
        raise refused
    if not path.is_file():
        raise NotFoundError(f"{name} is not in the import directory (any more); reload the page")
    return path


@dataclass(frozen=True)
class Upload:
    """One bundle on its way from a browser: the bytes so far in `part`. The browser names
    it by a key (the file's name, size and date), so an upload that broke off goes on
    where it stopped when the same file is chosen again."""

    part: Path
    total: int

    @property
    def received(self) -> int:
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    def complete(self) -> Path:
        """The whole file, under its name without `.part`."""
        whole = self.part.with_suffix("")
        os.replace(self.part, whole)
        return whole


def upload_of(uploads: Path, key: str, filename: str, total: int) -> Upload:
    uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
    clean = SAFE_NAME.sub("_", Path(filename).name)[-80:] or "bundle.tar"
    digest = hashlib.sha256(f"{key}\0{total}".encode()).hexdigest()[:16]
    return Upload(uploads / f"{digest}-{clean}.part", total)


def sweep(uploads: Path, max_age: float = PART_MAX_AGE) -> None:
    """Forget uploads that nobody went on with for `max_age` seconds."""
    now = time.time()
    for part in uploads.glob("*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime > max_age:
                part.unlink()


def check_upload_space(upload: Upload, length: int) -> None:
    """Refuse before the first byte what the disk cannot hold: the rest of the upload and,
    while it is imported, its blobs in the store (on the same file system)."""
    require_space(
        upload.part.parent,
        length + upload.total,
        "uploading and importing this bundle",
        "free some space, or copy the file to the import directory and import it from there",
    )


async def append(upload: Upload, offset: int, chunks: AsyncIterator[bytes]) -> int:
    """Write `chunks` after the first `offset` bytes as they arrive; returns the bytes
    received so far. What arrived stays when the request breaks off."""
    with open(upload.part, "ab") as out:
        try:
            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError("this file is being uploaded from another page; wait for it") from None
        received = os.fstat(out.fileno()).st_size
        if offset != received:
            raise UsageError(
                f"the upload is at {received} bytes, not {offset}; choose the file again"
            )
        async for chunk in chunks:
            received += len(chunk)
            if received > upload.total:
                out.truncate(offset)
                raise UsageError("the upload is longer than it said; upload it again")
            out.write(chunk)
    return received


__all__ = [
    "Offered",
    "Upload",
    "append",
    "check_upload_space",
    "inside",
    "offered_files",
    "sweep",
    "upload_of",
]
