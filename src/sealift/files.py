"""Small files: read with a size limit, written atomically (a reader sees the old file or the
new one, never half)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from sealift.errors import UsageError
from sealift.space import human_size

MODEL_LIMIT = 4 * 1024**2
"""The largest app model or values file read (configs are carried inside it)."""
INPUT_LIMIT = 16 * 1024**2
"""The largest compose file or Kubernetes manifest `convert` reads."""


def read_text_limited(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of a file a user named, refused before it is parsed (or read whole)
    when it is over `limit` bytes; `what` names the kind of file ("an app model").
    OSError and UnicodeDecodeError are left to the caller, which knows what to suggest."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:
        raise UsageError(
            f"{path} is larger than {human_size(limit)}, the most sealift reads for {what}; "
            "check that it is the right file"
        )
    return data.decode("utf-8")


def check_replaceable(path: Path) -> None:
    """Refuse an output path that names a directory, a device or a pipe: renaming a new
    file over it would replace it (`-o /dev/null` would delete the device)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise UsageError(f"{path} is {kind}; give the path of a file to write")


def check_output(path: Path) -> None:
    """An output file the user named: its directory must exist (a mistyped mount point
    must not quietly become a new directory on another disk) and it must be replaceable."""
    directory = path.absolute().parent
    if not directory.is_dir():
        raise UsageError(f"directory {directory} does not exist; create it or give another path")
    check_replaceable(path)


def atomic_write(
    path: Path, data: bytes, *, tmp_dir: Path | None = None, mode: int = 0o644
) -> None:
    """Write `data` to a temporary file in `tmp_dir` (default: beside `path`), fsync it,
    then rename it over `path`. `tmp_dir` must be on the same filesystem."""
    check_replaceable(path)
    directory = tmp_dir or path.absolute().parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    fsync_dir(path.absolute().parent)


def fsync_dir(directory: Path) -> None:
    """Make the names in `directory` durable (renames into it survive a power loss)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
