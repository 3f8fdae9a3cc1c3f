"""Reading a bundle back: one file, or its numbered parts read as one stream.

`find_parts` accepts the bundle, its first part, any part, or the common name,
and names a missing part; `PartsReader` is a seekable stream over all parts.
"""

from __future__ import annotations

import glob
import io
import re
from pathlib import Path

from sealift.bundle.filecopy import copy_range
from sealift.errors import BundleError, NotFoundError

_PART = re.compile(r"^(?P<base>.+)\.part(?P<num>\d{3,})$")


def parse_size(text: str) -> int:
    """`4G`, `700M`, `512K`, `1000` -> bytes (powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B?)?\s*", text, flags=re.IGNORECASE)
    if not m or int(m.group(1)) <= 0:
        raise BundleError(f"{text!r} is not a size; use a number with K, M or G (like 4G)")
    factor: int = 1024 ** " KMGT".index(m.group(2).upper() or " ")
    return int(m.group(1)) * factor


def find_parts(path: Path) -> list[Path]:
    """The files that make up the bundle named by `path`, in order."""
    if path.is_file() and not _PART.match(path.name):
        return [path]
    m = _PART.match(path.name)
    base = path.with_name(m.group("base")) if m else path
    found: dict[int, Path] = {}
    for candidate in base.parent.glob(glob.escape(base.name) + ".part*"):
        match = _PART.match(candidate.name)
        if match and match.group("base") == base.name:
            found[int(match.group("num"))] = candidate
    if not found:
        raise NotFoundError(f"{path} does not exist (nor any {base.name}.partNNN)")
    last = max(found)
    missing = [n for n in range(1, last + 1) if n not in found]
    if missing:
        raise BundleError(
            f"part {base.name}.part{missing[0]:03d} is missing; "
            "copy every part into the same directory"
        )
    return [found[n] for n in range(1, last + 1)]


class PartsReader(io.RawIOBase):
    """A read-only, seekable stream over several files in order."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._sizes = [p.stat().st_size for p in paths]
        self._starts = [sum(self._sizes[:i]) for i in range(len(paths))]
        self.total = sum(self._sizes)
        self._pos = 0
        self._index = -1
        self._file: io.BufferedReader | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.total}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def part_at(self, offset: int) -> Path:
        """The file that holds byte `offset` of the whole stream."""
        return self.paths[self._locate(offset)]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self.total:
            return 0
        file, inside, want = self._here(len(buffer))
        file.seek(inside)
        n = file.readinto(memoryview(buffer)[:want])
        self._pos += n
        return n

    def copy_to(self, fd: int, offset: int, count: int) -> int:
        """Copy up to `count` bytes from the current position into file `fd` at `offset`
        inside the kernel (no copy through Python); return how many (0 at the end)."""
        if self._pos >= self.total:
            return 0
        file, inside, want = self._here(count)
        n = copy_range(file.fileno(), inside, fd, offset, want)
        self._pos += n
        return n

    def _here(self, count: int) -> tuple[io.BufferedReader, int, int]:
        """The part holding the current position (opened), the position inside it, and
        how many of `count` bytes that part still has."""
        index = self._locate(self._pos)
        if index != self._index or self._file is None:
            self._open(index)
        assert self._file is not None
        start = self._starts[index]
        return self._file, self._pos - start, min(count, start + self._sizes[index] - self._pos)

    def _locate(self, offset: int) -> int:
        for i in range(len(self.paths)):
            if offset < self._starts[i] + self._sizes[i]:
                return i
        return len(self.paths) - 1

    def _open(self, index: int) -> None:
        if self._file is not None:
            self._file.close()
        self._file = self.paths[index].open("rb")
        self._index = index

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


def open_bundle(path: Path) -> PartsReader:
    return PartsReader(find_parts(path))


__all__ = ["parse_size"]
