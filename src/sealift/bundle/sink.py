"""Where an export writes: one file, or numbered parts of at most `part_size` bytes.

Files are written as `NAME.tmp` and renamed only by `commit()`; `discard()` removes
every temporary file, so a failed export leaves nothing behind. File data is copied
inside the kernel (copy_file_range), the disk is asked to start writing each chunk at
once, and a second thread flushes what is written every SYNC_EVERY bytes while the
copy goes on, so the one fsync per file at the end finds little left to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sealift.bundle.filecopy import copy_range, start_writeback
from sealift.errors import DiskFullError, SealiftError

COPY_CHUNK = 8 * 1024 * 1024
SYNC_EVERY = 128 * 1024 * 1024


def part_path(base: Path, number: int) -> Path:
    return base.with_name(f"{base.name}.part{number:03d}")


class FileSink:
    """Writes one file, or rolls over to numbered parts when `part_size` is set."""

    def __init__(self, target: Path, part_size: int = 0) -> None:
        self._target = target
        self._part_size = part_size
        self._files: list[Path] = []
        self._fd = -1
        self._left = 0
        self._pos = 0  # where the next byte goes in the current file
        self._synced_at = 0  # bytes of the current file handed to the background flush
        self._pool: ThreadPoolExecutor | None = None
        self._syncing: Future[None] | None = None
        self.written = 0

    @property
    def outputs(self) -> list[Path]:
        if not self._part_size:
            return [self._target]
        return [part_path(self._target, i + 1) for i in range(len(self._files))]

    def _next_file(self) -> None:
        self._close_fd()
        final = part_path(self._target, len(self._files) + 1) if self._part_size else self._target
        tmp = final.with_name(final.name + ".tmp")
        try:
            self._fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise self._write_error(exc) from exc
        self._files.append(tmp)
        self._left = self._part_size or -1
        self._pos = 0
        self._synced_at = 0

    def _write_error(self, exc: OSError) -> SealiftError:
        """The bundle's own words for a failed write (not the store's)."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFullError(
                f"no space left on device while writing {self._target}; free some space "
                "or write the bundle elsewhere (-o)"
            )
        if exc.errno == errno.EFBIG:
            return SealiftError(
                f"{self._target.parent} cannot hold a file this large (FAT32 stops at "
                "4 GiB); add --split 4000M"
            )
        return SealiftError(f"cannot write {self._target}: {exc.strerror}")

    def _room(self) -> int:
        """Bytes the current file can still take (opening the next one if full)."""
        if self._fd < 0 or self._left == 0:
            self._next_file()
        return self._left if self._left > 0 else COPY_CHUNK

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            n = min(self._room(), len(view))
            try:
                written = os.pwrite(self._fd, view[:n], self._pos)
            except OSError as exc:
                raise self._write_error(exc) from exc
            self._count(written)
            view = view[written:]
        return len(data)

    def copy_from(self, fd: int, size: int) -> None:
        offset = 0
        while offset < size:
            n = min(self._room(), size - offset, COPY_CHUNK)
            try:
                sent = copy_range(fd, offset, self._fd, self._pos, n)
            except OSError as exc:
                raise self._write_error(exc) from exc
            if sent == 0:
                raise OSError(f"source file shrank while exporting (at byte {offset})")
            start_writeback(self._fd, self._pos, sent)
            self._count(sent)
            offset += sent
            self._flush_in_background()

    def _flush_in_background(self) -> None:
        """Every SYNC_EVERY bytes, flush the file so far in a second thread (if the last
        flush is done): the disk works while the copy goes on."""
        if self._pos - self._synced_at < SYNC_EVERY:
            return
        if self._syncing is not None:
            if not self._syncing.done():
                return
            self._wait_for_flush()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-sync")
        self._synced_at = self._pos
        self._syncing = self._pool.submit(os.fdatasync, self._fd)

    def _wait_for_flush(self) -> None:
        syncing, self._syncing = self._syncing, None
        if syncing is not None:
            try:
                syncing.result()
            except OSError as exc:
                raise self._write_error(exc) from exc

    def _count(self, n: int) -> None:
        self.written += n
        self._pos += n
        if self._left > 0:
            self._left -= n

    def _close_fd(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1  # closed below whatever happens (Ctrl-C in fsync too)
        try:
            self._wait_for_flush()
            os.fsync(fd)
        finally:
            os.close(fd)

    def _stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def commit(self) -> list[Path]:
        try:
            self._close_fd()
        finally:
            self._stop_pool()
        for tmp in self._files:
            os.replace(tmp, tmp.with_name(tmp.name.removesuffix(".tmp")))
        return self.outputs

    def discard(self) -> None:
        self._stop_pool()  # a flush in flight still uses the file
        self._syncing = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        for tmp in self._files:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
