"""`$SEALIFT_HOME/staging/`: where an import lands verified blobs before they move into
the store. Blobs here are complete and match their digest (they are renamed into
place only then), so an import killed midway resumes from them.

A blob is copied into its file inside the kernel (no trip through Python), the
disk is asked to start writing each chunk at once, and a thread of its own hashes the
file's bytes behind the copy. The copy does not wait for the hash: the next blob is
copied (and hashed by another thread) while the last one's hash catches up, so both
cores work (sha256 is slower than the copy); HASHING_BLOBS bounds the blobs being
hashed at once. Verified blobs wait (as open temporary files) until a batch is full;
a third thread then fsyncs and renames the batch while the next one is copied, so the
import neither stalls on one fsync per blob nor waits for the disk while it could
copy. A blob is renamed (visible) only once verified and durable; a mismatch is
raised (StagedBlobMismatch) by a later `receive` or by `flush`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sealift.bundle.filecopy import start_writeback
from sealift.errors import CorruptBlobError, LockedError
from sealift.oci.blobwriter import store_write_error
from sealift.oci.digest import hex_part

BATCH_BYTES = 128 * 1024 * 1024
BATCH_FILES = 128
HASHING_BLOBS = 2  # blobs hashed at once (in threads of their own)
HASH_BEHIND = 32  # chunks the copy of a blob may run ahead of its hash
HASH_CHUNK = 8 * 1024 * 1024  # small chunks are gathered to this much before they are hashed
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}

# fill(fd, copied): write a blob into `fd`, calling copied(offset, n) after each chunk.
Fill = Callable[[int, Callable[[int, int], None]], None]


@dataclass(frozen=True)
class _Pending:
    fd: int
    tmp: Path
    final: Path
    size: int


class StagedBlobMismatch(CorruptBlobError):
    """A staged blob's bytes do not match its digest (`digest` says which blob)."""

    def __init__(self, digest: str, message: str) -> None:
        super().__init__(message)
        self.digest = digest


@dataclass(frozen=True)
class _Hashing:
    digest: str
    pending: _Pending
    hasher: _FileHasher


class Staging:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs_dir = root / "blobs" / "sha256"
        self.tmp_dir = root / "tmp"
        self._hashing: deque[_Hashing] = deque()  # copied, hash not yet checked
        self._pending: list[_Pending] = []
        self._pool: ThreadPoolExecutor | None = None
        self._durable: Future[None] | None = None  # the batch being made durable

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
                self.discard_pending()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def path(self, digest: str) -> Path:
        return self.blobs_dir / hex_part(digest)

    def has(self, digest: str, size: int) -> bool:
        try:
            return self.path(digest).stat().st_size == size
        except FileNotFoundError:
            return False

    def receive(self, digest: str, size: int, fill: Fill) -> None:
        """Stage a blob: `fill(fd, copied)` writes it into a new file, calling
        `copied(offset, n)` after each chunk; keep it only if digest and size match
        (checked while the next blobs are copied: see the module's docstring)."""
        while len(self._hashing) >= HASHING_BLOBS:
            self._verify_oldest()
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=self.tmp_dir)
        pending = _Pending(fd, Path(name), self.path(digest), size)
        hasher = _FileHasher(fd)
        try:
            _fill_hashed(fd, fill, hasher)
        except BaseException:
            hasher.stop()
            _drop(pending)
            raise
        self._hashing.append(_Hashing(digest, pending, hasher))

    def _verify_oldest(self) -> None:
        staged = self._hashing.popleft()
        try:
            actual, written = staged.hasher.hexdigest(), staged.hasher.size
        except BaseException:
            _drop(staged.pending)
            raise
        if (actual, written) != (staged.digest, staged.pending.size):
            _drop(staged.pending)
            raise StagedBlobMismatch(
                staged.digest, f"blob {staged.digest} has digest {actual} and {written} bytes"
            )
        self._pending.append(staged.pending)
        if len(self._pending) >= BATCH_FILES or sum(p.size for p in self._pending) >= BATCH_BYTES:
            self._make_durable_in_background()

    def flush(self) -> None:
        """Check every blob still being hashed, make every waiting blob durable, then
        visible under its digest."""
        while self._hashing:
            self._verify_oldest()
        self._make_durable_in_background()
        self._wait_durable()

    def _make_durable_in_background(self) -> None:
        self._wait_durable()
        batch, self._pending = self._pending, []
        if batch:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging")
            self._durable = self._pool.submit(_make_durable, batch)

    def _wait_durable(self) -> None:
        durable, self._durable = self._durable, None
        if durable is not None:
            durable.result()

    def keep_verified(self) -> None:
        """Like flush, but a blob that does not match is dropped without a word: what is
        kept must be right, and the caller is already failing for its own reason."""
        while self._hashing:
            with contextlib.suppress(StagedBlobMismatch):
                self._verify_oldest()
        self._make_durable_in_background()
        self._wait_durable()

    def discard_pending(self) -> None:
        """Drop the blobs not yet durable (a batch already being made durable finishes:
        those blobs are verified)."""
        while self._hashing:
            staged = self._hashing.popleft()
            staged.hasher.stop()
            _drop(staged.pending)
        with contextlib.suppress(Exception):
            self._wait_durable()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
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


class _FileHasher:
    """Hashes a file's bytes as they land in it, in a thread of its own, at most
    HASH_BEHIND chunks behind the copy (sha256 releases the GIL, so copying and hashing
    overlap). It hashes what is in the file, so the check covers exactly what becomes
    visible; it reads the file's pages where they are (mmap), not through a copy into a
    buffer."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging-hash")
        self._digest = hashlib.sha256()
        self._queued: deque[Future[None]] = deque()  # in order: one worker
        self.size = 0
        self._handed = 0  # bytes handed to the hash thread (the rest waits for more)

    def copied(self, offset: int, n: int) -> None:
        if offset != self.size:
            raise ValueError(f"chunk at {offset} arrived out of order (expected {self.size})")
        self.size += n
        if self.size - self._handed >= HASH_CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        """Small chunks (an upload's pieces) are handed over together: one writeback
        request, one mapping and one wake-up of the hash thread per HASH_CHUNK."""
        offset, n = self._handed, self.size - self._handed
        self._handed = self.size
        start_writeback(self._fd, offset, n)
        self._queued.append(self._pool.submit(self._hash, offset, n))
        while self._queued and (len(self._queued) > HASH_BEHIND or self._queued[0].done()):
            self._queued.popleft().result()

    def hexdigest(self) -> str:
        try:
            if self.size > self._handed:
                self._hand_over()
            while self._queued:
                self._queued.popleft().result()
        finally:
            self.stop()
        return "sha256:" + self._digest.hexdigest()

    def stop(self) -> None:
        """Cancel the chunks not yet hashed and wait for the one being hashed (the file
        may be closed after)."""
        self._queued.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _hash(self, offset: int, count: int) -> None:
        skip = offset % mmap.ALLOCATIONGRANULARITY  # a mapping starts on a page
        if os.fstat(self._fd).st_size < offset + count:
            raise OSError(errno.EIO, "staged file shrank while it was hashed")
        with mmap.mmap(
            self._fd, skip + count, offset=offset - skip, access=mmap.ACCESS_READ
        ) as pages:
            if not skip:
                self._digest.update(pages)
                return
            with memoryview(pages) as view, view[skip:] as chunk:
                self._digest.update(chunk)


def _fill_hashed(fd: int, fill: Fill, hasher: _FileHasher) -> None:
    try:
        fill(fd, hasher.copied)
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            raise store_write_error(exc) from exc
        raise


def _make_durable(batch: list[_Pending]) -> None:
    """fsync every blob of the batch, then rename each to its digest."""
    closed = 0
    try:
        for p in batch:
            os.fsync(p.fd)
        for p in batch:
            os.close(p.fd)
            closed += 1
            os.chmod(p.tmp, 0o644)
            os.replace(p.tmp, p.final)
    except OSError as exc:
        for i, p in enumerate(batch):
            if i >= closed:  # never close a descriptor twice: the number may be reused
                with contextlib.suppress(OSError):
                    os.close(p.fd)
            with contextlib.suppress(FileNotFoundError):
                p.tmp.unlink()
        raise store_write_error(exc) from exc


def _drop(pending: _Pending) -> None:
    with contextlib.suppress(OSError):
        os.close(pending.fd)
    with contextlib.suppress(FileNotFoundError):
        pending.tmp.unlink()
