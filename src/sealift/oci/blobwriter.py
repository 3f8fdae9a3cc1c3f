"""Write one blob: hashed while written to a temporary file, renamed into place
only when its digest (and size, if known) match. A crash leaves no visible blob."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from sealift.errors import CorruptBlobError, DiskFullError, StoreError


class BlobWriter:
    """File-like sink for one blob. Use as a context manager; call `commit()`."""

    def __init__(
        self,
        tmp_dir: Path,
        blobs_dir: Path,
        expected_digest: str | None = None,
        expected_size: int | None = None,
        on_commit: Callable[[str], None] | None = None,
    ) -> None:
        """`on_commit(digest)` is told of a blob this writer created (not of one that
        was there already)."""
        self._blobs_dir = blobs_dir
        self._on_commit = on_commit
        self._expected_digest = expected_digest
        self._expected_size = expected_size
        self._hash = hashlib.sha256()
        self.size = 0
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=tmp_dir)
        self._tmp = Path(name)
        self._file = os.fdopen(fd, "wb")
        self.digest = ""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        try:
            self._file.write(data)
        except OSError as exc:
            raise store_write_error(exc) from exc
        self._hash.update(data)
        self.size += len(data)
        if self._expected_size is not None and self.size > self._expected_size:
            raise CorruptBlobError(
                f"blob {self._expected_digest or ''} is longer than its {self._expected_size} bytes"
            )
        return len(data)

    def commit(self) -> str:
        """Check the digest and size, then move the blob into place; return its digest."""
        digest = "sha256:" + self._hash.hexdigest()
        if self._expected_digest is not None and digest != self._expected_digest:
            raise CorruptBlobError(
                f"blob {self._expected_digest} is corrupt: what arrived has digest {digest}; "
                "try again, and check the source if it happens again"
            )
        if self._expected_size is not None and self.size != self._expected_size:
            raise CorruptBlobError(
                f"blob {digest} has {self.size} bytes, expected {self._expected_size}"
            )
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            target = self._blobs_dir / digest.split(":", 1)[1]
            os.chmod(self._tmp, 0o644)
            created = not target.exists()
            os.replace(self._tmp, target)
        except OSError as exc:
            raise store_write_error(exc) from exc
        self.digest = digest
        if created and self._on_commit is not None:
            self._on_commit(digest)
        return digest

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def store_write_error(exc: OSError) -> StoreError | DiskFullError:
    if exc.errno == errno.ENOSPC:
        return DiskFullError(
            "no space left on device while writing to the store; "
            "free some space and run the command again"
        )
    return StoreError(f"cannot write to the store: {exc.strerror} ({exc.filename or ''})")
