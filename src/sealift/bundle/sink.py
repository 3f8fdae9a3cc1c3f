"""Where an export writes: one file, or numbered parts of at most `part_size` bytes.

Files are written as `NAME.tmp` and renamed only by `commit()`; `discard()` removes
every temporary file, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sealift.oci.blobwriter import store_write_error

SENDFILE_CHUNK = 64 * 1024 * 1024


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
            raise store_write_error(exc) from exc
        self._files.append(tmp)
        self._left = self._part_size or -1

    def _room(self) -> int:
        """Bytes the current file can still take (opening the next one if full)."""
        if self._fd < 0 or self._left == 0:
            self._next_file()
        return self._left if self._left > 0 else SENDFILE_CHUNK

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            n = min(self._room(), len(view))
            try:
                written = os.write(self._fd, view[:n])
            except OSError as exc:
                raise store_write_error(exc) from exc
            self._count(written)
            view = view[written:]
        return len(data)

    def copy_from(self, fd: int, size: int) -> None:
        offset = 0
        while offset < size:
            n = min(self._room(), size - offset, SENDFILE_CHUNK)
            try:
                sent = os.sendfile(self._fd, fd, offset, n)
            except OSError as exc:
                raise store_write_error(exc) from exc
            if sent == 0:
                raise OSError(f"source file shrank while exporting (at byte {offset})")
            self._count(sent)
            offset += sent

    def _count(self, n: int) -> None:
        self.written += n
        if self._left > 0:
            self._left -= n

    def _close_fd(self) -> None:
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
            self._fd = -1

    def commit(self) -> list[Path]:
        self._close_fd()
        for tmp in self._files:
            os.replace(tmp, tmp.with_name(tmp.name.removesuffix(".tmp")))
        return self.outputs

    def discard(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        for tmp in self._files:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
