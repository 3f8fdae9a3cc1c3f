"""uvicorn's h11 protocol, with a receive buffer that hands a request body over without
copying it.

h11 (0.16) copies every received chunk twice more on its way out of its buffer
(`maybe_extract_at_most` slices, then `_extract` slices again): for a bundle uploaded
to the console that was ~1.1 s of CPU per GiB, more than the import itself (measured:
1.5 s per GiB received, 0.65 s with this buffer, the same as uvicorn's C parser
httptools, whose wheels for five Pythons on two machines would not fit the runtime's
40 MB). The buffer keeps h11's behaviour: it only skips the copies when the whole
buffer is the body's next piece. h11 is pinned; tests/unit/test_console_fasth11.py
fails if its buffer changes shape.
"""

from __future__ import annotations

from typing import Any

from h11._receivebuffer import ReceiveBuffer
from uvicorn.protocols.http.h11_impl import H11Protocol


class BodyReceiveBuffer(ReceiveBuffer):
    def maybe_extract_at_most(self, count: int) -> bytearray | None:
        if not self._data:
            return None
        if count < len(self._data):
            return super().maybe_extract_at_most(count)
        whole, self._data = self._data, bytearray()
        self._next_line_search = 0
        self._multiple_lines_search = 0
        return whole


class FastH11Protocol(H11Protocol):
    """Give `uvicorn.Config(http=FastH11Protocol)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn._receive_buffer = BodyReceiveBuffer()


__all__ = ["BodyReceiveBuffer", "FastH11Protocol"]
