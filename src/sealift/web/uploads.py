"""Where a bundle to import comes from: a browser upload, imported as it arrives (the
body passes through a bounded pipe to the import's thread; nothing is kept but the blobs
the import verifies), or a file in the directory the operator allowed at start-up
(`--import-dir`), which a name given by the browser can never leave (no `..`, no
absolute path, no symlink)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealift.bundle.importer import StreamBrokeOff
from sealift.errors import NotFoundError, UsageError
from sealift.space import require_space

MAX_LISTED = 500
MAX_DEPTH = 3
PIPE_LIMIT = 32 * 1024 * 1024  # bytes of an upload waiting for its import, at most
# Bytes per write. One large write (a pwritev of 8 MiB) makes the kernel allocate large
# page-cache folios, which cost 2-5x the CPU of 256 KiB writes on this project's VMs
# (measured: 0.5-2.9 s of system time per GiB against a steady 0.5 s).
WRITE_PIECE = 256 * 1024


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


class ImportStopped(Exception):
    """The import reading an upload ended before the upload did (its job says why)."""


class BodyPipe(io.RawIOBase):
    """A request's body as a file that an import reads in its own thread while the event
    loop receives the body: at most `limit` bytes wait in between, so the import runs at
    the speed the bytes arrive and the console's memory stays bounded. The event loop
    side calls `feed`; the import side reads."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = PIPE_LIMIT) -> None:
        super().__init__()
        self._loop, self._limit = loop, limit
        self._chunks: deque[memoryview] = deque()
        self._size = 0
        self._ended = False
        self._error: BaseException | None = None
        self._stopped = False  # the reader is gone
        self._waiting = False  # `feed` waits for room
        self._cond = threading.Condition()
        self._room = asyncio.Event()

    # -- the event loop's side

    async def feed(self, chunks: AsyncIterator[bytes]) -> None:
        """Pass each chunk on, waiting while the pipe is full; then the end of the body.
        Raises ImportStopped when the reader ended first."""
        async for chunk in chunks:
            while not self._put(chunk):
                await self._room.wait()
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def _put(self, chunk: bytes) -> bool:
        with self._cond:
            if self._stopped:
                raise ImportStopped()
            if self._size >= self._limit:
                self._room.clear()
                self._waiting = True
                return False
            if chunk:
                self._chunks.append(memoryview(chunk))
                self._size += len(chunk)
                self._cond.notify_all()
            return True

    def break_off(self) -> None:
        """The body will not come whole: the reader gets StreamBrokeOff (the import keeps
        what it verified)."""
        with self._cond:
            self._error = StreamBrokeOff(
                "the upload broke off; choose the file again: what was verified is kept"
            )
            self._cond.notify_all()

    # -- the reader's side (io.RawIOBase)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """What has arrived, up to len(buffer) bytes (0 at the end of the body)."""
        out, n = memoryview(buffer).cast("B"), 0
        for piece in self._take(len(out)):
            out[n : n + len(piece)] = piece
            n += len(piece)
        return n

    def copy_to(self, fd: int, offset: int, count: int) -> int:
        """Write up to `count` bytes that have arrived into file `fd` at `offset`, straight
        from the pieces received (TarReader.copy_data uses it: no copy of its own), each
        in a write of its own."""
        n = 0
        for piece in self._take(count):
            for at in range(0, len(piece), WRITE_PIECE):
                n += _pwrite_all(fd, piece[at : at + WRITE_PIECE], offset + n)
        return n

    def _take(self, count: int) -> list[memoryview]:
        """Up to `count` bytes that have arrived, waiting for the first ones ([] at the end
        of the body)."""
        with self._cond:
            while not self._chunks and not self._ended and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            pieces, n = [], 0
            while self._chunks and n < count:
                chunk = self._chunks.popleft()
                if len(chunk) > count - n:
                    chunk, rest = chunk[: count - n], chunk[count - n :]
                    self._chunks.appendleft(rest)
                pieces.append(chunk)
                n += len(chunk)
            self._size -= n
            if self._waiting and self._size <= self._limit // 2:
                self._waiting = False
                self._wake_feed()
            return pieces

    def read(self, size: int = -1) -> bytes:
        """`size` bytes, fewer only at the end of the body (as a file reads)."""
        if size < 0:
            raise ValueError("a BodyPipe is read in pieces")
        out = bytearray(size)
        view, got = memoryview(out), 0
        while got < size:
            n = self.readinto(view[got:])
            if not n:
                break
            got += n
        return bytes(out[:got])

    def stop(self) -> None:
        """The reader is done with the body (finished or failed): `feed` stops."""
        with self._cond:
            self._stopped = True
            self._chunks.clear()
            self._size = 0
        self._wake_feed()

    def _wake_feed(self) -> None:
        with contextlib.suppress(RuntimeError):  # the server's loop has closed: none waits
            self._loop.call_soon_threadsafe(self._room.set)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> int:
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], offset + done)
    return done


def check_upload_space(staging: Path, length: int) -> None:
    """Refuse before the first byte what the disk cannot hold: the bundle's blobs, which
    the import writes as they arrive."""
    require_space(
        staging,
        length,
        "uploading and importing this bundle",
        "free some space, or copy the file to the import directory and import it from there",
    )


__all__ = [
    "BodyPipe",
    "ImportStopped",
    "Offered",
    "check_upload_space",
    "inside",
    "offered_files",
]
