"""Layers of a save stream, stored without holding up the stream.

When the caller knows every layer of the stream is new to the store (`fresh`), each
layer is gzipped as it is read: its diff_id hashed on one thread, its blocks deflated
on `WORKERS` threads, the gzip blob written and hashed on another, so the stream is
read once and nothing is written twice. Otherwise each uncompressed layer is spooled
to a temporary file in the store while it is hashed (its diff_id); then the store
either has its gzip blob already (`LayerIndex`: reused, nothing compressed), or a
background thread gzips the spooled file while the caller reads on. Both ways make
the same bytes. `layers()` waits for the background work. On any failure or Ctrl-C,
`close()` stops the compression within one block and removes every spool file;
unfinished blobs never become visible (BlobWriter).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from sealift.oci.blobwriter import BlobWriter, store_write_error
from sealift.oci.compress import WORKERS, blocks_of, gzip_chunks, read_blocks
from sealift.oci.layercache import LayerIndex, StoredLayer
from sealift.oci.layout import Layout
from sealift.progress import Progress

GZIP_MAGIC = b"\x1f\x8b"
_POLL_SECONDS = 0.2
_AHEAD = 4  # calls queued on a lane (hashing, writing) before the reader waits


@dataclass
class _Job:
    label: str
    spool: Path
    size: int
    diff_id: str
    done: int = 0  # uncompressed bytes gzipped so far (written by the compressing thread)
    future: Future[StoredLayer] = field(default_factory=Future)


class LayerSink:
    """Takes the layers of one stream (`add`), gives them back stored (`layers`).

    Use as a context manager: leaving it stops background work and removes spools.
    `compressed` counts the layers this sink gzipped (reused ones are not counted).
    `fresh`: no layer of the stream is in the store (nor twice in it): gzip while reading.
    """

    def __init__(
        self, layout: Layout, known: LayerIndex, progress: Progress, *, fresh: bool = False
    ) -> None:
        self._layout = layout
        self._known = known
        self._progress = progress
        self._fresh = fresh
        self._cancel = threading.Event()
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="sealift-deflate")
        self._driver = ThreadPoolExecutor(1, thread_name_prefix="sealift-gzip")
        self._hasher = ThreadPoolExecutor(1, thread_name_prefix="sealift-hash")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sealift-write")
        self._stored: dict[str, StoredLayer] = {}
        self._jobs: dict[str, _Job] = {}
        self._queued: dict[str, _Job] = {}  # by diff_id: one compression per distinct layer
        self._spools: set[Path] = set()
        self.compressed = 0

    def add(self, name: str, chunks: Iterable[bytes], total: int | None, label: str) -> None:
        """Take layer `name`: stored as-is if gzip already, else spooled, then reused or
        queued for compression."""
        iterator = iter(chunks)
        first = next(iterator, b"")
        if first.startswith(GZIP_MAGIC):
            self._stored[name] = self._store_gzip(_chain(first, iterator), total, label)
            return
        if self._fresh:
            self._stored[name] = self._gzip_now(_chain(first, iterator), total, label)
            return
        spool, size, diff_id = self._spool(_chain(first, iterator), total, label)
        if (reused := self._known.find(diff_id)) is not None:
            self._remove(spool)
            self._stored[name] = reused
        elif diff_id in self._queued:
            self._remove(spool)
            self._jobs[name] = self._queued[diff_id]
        else:
            job = _Job(label, spool, size, diff_id)
            job.future = self._driver.submit(self._compress, job)
            self._jobs[name] = self._queued[diff_id] = job
            self.compressed += 1

    def layers(self) -> dict[str, StoredLayer]:
        """Every layer added, stored; waits (with progress) for the compression left."""
        out = dict(self._stored)
        for name, job in self._jobs.items():
            if not job.future.done():
                self._follow(job)
            out[name] = job.future.result()
        for job in self._queued.values():
            self._known.remember(job.future.result())
        self._known.save()
        return out

    def close(self) -> None:
        self._cancel.set()
        for executor in (self._driver, self._pool, self._hasher, self._writer):
            executor.shutdown(wait=True, cancel_futures=True)
        for spool in list(self._spools):
            self._remove(spool)

    def __enter__(self) -> LayerSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the calling thread ----------------------------------------------------------

    def _spool(
        self, chunks: Iterable[bytes], total: int | None, label: str
    ) -> tuple[Path, int, str]:
        raw = hashlib.sha256()
        size = 0
        self._progress.begin(label, total)
        try:
            self._layout.tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="spool-", dir=self._layout.tmp_dir)
            spool = Path(name)
            self._spools.add(spool)
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    raw.update(chunk)
                    size += len(chunk)
                    self._progress.advance(len(chunk))
        except OSError as exc:
            raise store_write_error(exc) from exc
        finally:
            self._progress.end()
        return spool, size, "sha256:" + raw.hexdigest()

    def _gzip_now(self, chunks: Iterable[bytes], total: int | None, label: str) -> StoredLayer:
        """Gzip a layer as it is read (see the module's docstring); a layer that turns
        out to be stored already (the caller's hint was wrong) is reused, not committed."""
        raw = hashlib.sha256()
        hashing, writing = Lane(self._hasher), Lane(self._writer)
        self._progress.begin(label, total)
        try:
            with self._layout.writer() as writer:
                try:
                    blocks = self._hashed(blocks_of(chunks), hashing, raw.update)
                    for piece in gzip_chunks(blocks, self._pool, self._cancel):
                        writing.put(writer.write, piece)
                    hashing.finish()
                    writing.finish()
                finally:
                    hashing.abandon()
                    writing.abandon()
                return self._commit_fresh(writer, "sha256:" + raw.hexdigest())
        except OSError as exc:
            raise store_write_error(exc) from exc
        finally:
            self._progress.end()

    def _hashed(
        self, blocks: Iterable[bytes], lane: Lane, update: Callable[[bytes], None]
    ) -> Iterator[bytes]:
        for block in blocks:
            lane.put(update, block)
            self._progress.advance(len(block))
            yield block

    def _commit_fresh(self, writer: BlobWriter, diff_id: str) -> StoredLayer:
        reused = self._known.find(diff_id)
        if reused is not None:
            return reused  # the writer is discarded: nothing new becomes visible
        writer.commit()
        layer = StoredLayer(writer.digest, writer.size, diff_id)
        self._known.remember(layer)
        self.compressed += 1
        return layer

    def _store_gzip(self, chunks: Iterable[bytes], total: int | None, label: str) -> StoredLayer:
        """Store an already gzip layer as it is; its diff_id by inflating on the way."""
        raw = hashlib.sha256()
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._progress.begin(label, total)
        try:
            with self._layout.writer() as writer:
                for chunk in chunks:
                    writer.write(chunk)
                    raw.update(inflater.decompress(chunk))
                    self._progress.advance(len(chunk))
                raw.update(inflater.flush())
                digest = writer.commit()
                return StoredLayer(digest, writer.size, "sha256:" + raw.hexdigest())
        finally:
            self._progress.end()

    def _follow(self, job: _Job) -> None:
        """Wait for `job`, showing its progress (from this thread: Progress is not shared)."""
        self._progress.begin(f"{job.label} gzip"[:80], job.size)
        try:
            shown = 0
            while not job.future.done():
                wait([job.future], timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
                self._progress.advance(job.done - shown)
                shown = job.done
        finally:
            self._progress.end()

    def _remove(self, spool: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            spool.unlink()
        self._spools.discard(spool)

    # -- the compressing thread ------------------------------------------------------

    def _compress(self, job: _Job) -> StoredLayer:
        try:
            with job.spool.open("rb") as f, self._layout.writer() as writer:
                blocks = self._counted(read_blocks(f.read), job)
                for piece in gzip_chunks(blocks, self._pool, self._cancel):
                    writer.write(piece)
                writer.commit()
                return StoredLayer(writer.digest, writer.size, job.diff_id)
        except OSError as exc:
            raise store_write_error(exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                job.spool.unlink()

    @staticmethod
    def _counted(blocks: Iterator[bytes], job: _Job) -> Iterator[bytes]:
        for block in blocks:
            yield block
            job.done += len(block)


class Lane:
    """Calls run in order on a one-thread executor, at most `_AHEAD` waiting: hashing
    or writing beside the reading thread, with bounded memory."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._pending: deque[Future[object]] = deque()

    def put(self, call: Callable[[bytes], object], data: bytes) -> None:
        self._pending.append(self._executor.submit(call, data))
        while len(self._pending) > _AHEAD:
            self._pending.popleft().result()

    def finish(self) -> None:
        """Wait for every call; the first failure is raised."""
        while self._pending:
            self._pending.popleft().result()

    def abandon(self) -> None:
        """Cancel the calls not started and wait for the running one (on failure)."""
        for future in self._pending:
            future.cancel()
        wait(self._pending)
        self._pending.clear()


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
