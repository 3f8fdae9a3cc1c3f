"""Writing small files atomically: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(
    path: Path, data: bytes, *, tmp_dir: Path | None = None, mode: int = 0o644
) -> None:
    """Write `data` to a temporary file in `tmp_dir` (default: beside `path`), fsync it,
    then rename it over `path`. `tmp_dir` must be on the same filesystem."""
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
