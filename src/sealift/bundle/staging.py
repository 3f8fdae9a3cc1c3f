"""`$SEALIFT_HOME/staging/`: where an import lands verified blobs before they move into
the store. Blobs here are complete and match their digest (they are renamed into
place only then), so an import killed midway resumes from them.

Verified blobs wait (as open temporary files) until a batch is full, then each is
fsynced and renamed: the kernel writes them back while the next blobs are hashed,
instead of the import stalling on one fsync per blob.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import CorruptBlobError, LockedError
from sealift.oci.blobwriter import store_write_error
from sealift.oci.digest import hex_part

BATCH_BYTES = 256 * 1024 * 1024
BATCH_FILES = 128


@dataclass(frozen=True)
class _Pending:
    fd: int
    tmp: Path
    final: Path
    size: int


class Staging:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs_dir = root / "blobs" / "sha256"
        self.tmp_dir = root / "tmp"
        self._pending: list[_Pending] = []

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One import at a time; partial files of a killed import are dropped first."""
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise LockedError("another import is running; wait for it to finish") from None
                raise
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def path(self, digest: str) -> Path:
        return self.blobs_dir / hex_part(digest)

    def has(self, digest: str, size: int) -> bool:
        try:
            return self.path(digest).stat().st_size == size
        except FileNotFoundError:
            return False

    def receive(self, digest: str, size: int, chunks: Iterable[bytes | memoryview]) -> None:
        """Write a blob, hashing it; keep it only if digest and size match."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=self.tmp_dir)
        pending = _Pending(fd, Path(name), self.path(digest), size)
        try:
            actual, written = _write_hashed(fd, chunks)
        except BaseException:
            _drop(pending)
            raise
        if (actual, written) != (digest, size):
            _drop(pending)
            raise CorruptBlobError(f"blob {digest} has digest {actual} and {written} bytes")
        self._pending.append(pending)
        if len(self._pending) >= BATCH_FILES or sum(p.size for p in self._pending) >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Make every waiting blob durable, then visible under its digest."""
        try:
            for p in self._pending:
                os.fsync(p.fd)
            for p in self._pending:
                os.close(p.fd)
                os.chmod(p.tmp, 0o644)
                os.replace(p.tmp, p.final)
        except OSError as exc:
            self.discard_pending()
            raise store_write_error(exc) from exc
        self._pending.clear()

    def discard_pending(self) -> None:
        for p in self._pending:
            _drop(p)
        self._pending.clear()

    def move_into(self, digest: str, blobs_dir: Path) -> None:
        """Move a staged blob into a store's blobs directory (copy across filesystems)."""
        target = blobs_dir / hex_part(digest)
        try:
            os.replace(self.path(digest), target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise store_write_error(exc) from exc
            self._copy_across(digest, target)

    def _copy_across(self, digest: str, target: Path) -> None:
        tmp = target.with_name(target.name + ".sealift-tmp")
        try:
            shutil.copyfile(self.path(digest), tmp)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise store_write_error(exc) from exc
        self.remove(digest)

    def remove(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(digest).unlink()


def _write_hashed(fd: int, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
    """Write and hash each chunk at once: sha256 releases the GIL, so a second thread
    hashes while this one writes (the chunk is consumed before the next is read)."""
    digest = hashlib.sha256()
    written = 0
    with ThreadPoolExecutor(max_workers=1) as hasher:
        for chunk in chunks:
            hashed = hasher.submit(digest.update, chunk)
            try:
                written += _write_all(fd, memoryview(chunk))
            finally:
                hashed.result()
    return "sha256:" + digest.hexdigest(), written


def _write_all(fd: int, view: memoryview) -> int:
    total = len(view)
    while view:
        try:
            n = os.write(fd, view)
        except OSError as exc:
            raise store_write_error(exc) from exc
        view = view[n:]
    return total


def _drop(pending: _Pending) -> None:
    with contextlib.suppress(OSError):
        os.close(pending.fd)
    with contextlib.suppress(FileNotFoundError):
        pending.tmp.unlink()
