"""HTTP `Range: bytes=...` requests of one span (what registry clients send)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    length: int
    partial: bool  # False: the whole body (no Range, or one this server ignores)

    @property
    def status(self) -> int:
        return 206 if self.partial else 200


def parse_range(header: str, size: int) -> ByteRange | None:
    """The span a Range header asks of `size` bytes; None when it cannot be satisfied.
    A missing header, or one naming several spans or another unit, gets the whole body
    (RFC 9110 lets a server ignore Range)."""
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return ByteRange(0, size, partial=False)
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return ByteRange(0, size, partial=False)
    if not first:  # the last N bytes
        length = min(int(last), size)
        return ByteRange(size - length, length, partial=True) if length else None
    start = int(first)
    if start >= size:
        return None
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return ByteRange(0, size, partial=False)  # malformed: ignored
    return ByteRange(start, end - start + 1, partial=True)
