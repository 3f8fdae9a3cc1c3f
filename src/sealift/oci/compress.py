"""Deterministic gzip on several threads, pigz-style, with ISA-L's deflate.

The input is cut into `BLOCK`-byte blocks. Each block is deflated on its own, primed
with the 32 KiB before it (so compression is as good as one stream), and ended with
a sync flush; the blocks concatenate into one raw deflate stream, closed by an empty
final block. The bytes depend only on the input, `BLOCK`, `GZIP_LEVEL` and the pinned
ISA-L (python-isal) release, never on how many threads ran or in what order they
finished: the same layer always gets the same digest from one sealift version. ISA-L
releases the GIL while it deflates, so threads really run at once. ISA-L chooses its
code by CPU (x86-64 or aarch64 kernels): the same bytes across the two architectures
are not promised (not tested), as they were not with the system's zlib before.
"""

from __future__ import annotations

import struct
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future

from isal import isal_zlib

GZIP_LEVEL = 2
"""ISA-L level (0-3). Measured here on two threads, 128 MiB of a tar of /usr/share and
/usr/include: zlib level 1 (before) 120 MB/s, ratio 0.458; ISA-L level 1 1120 MB/s,
0.459; level 2 1110 MB/s, 0.456; level 3 700 MB/s, 0.448. On a tar of /usr (binaries),
one thread: levels 0-2 ~480 MB/s. Level 2 keeps zlib level 1's ratio, nine times faster.
Part of the output format (with `MEM_LEVEL`, `BLOCK` and the pinned python-isal
release): changing any of them changes every digest sealift makes."""

MEM_LEVEL = 8
"""ISA-L's hash table size; 1 is three times slower. Part of the output format."""

BLOCK = 4 * 1024 * 1024
"""Also part of the output format; see GZIP_LEVEL. 4 MiB rather than 1: a tenth less
time in handing blocks between threads, for ~40 MB more memory in flight."""

STORE_ABOVE = 0.95
"""A block whose samples deflate to more than this share of their size is stored as is
(deflate "stored" blocks): deflating random or already compressed data costs time to
save under 5%. Decided from the block's bytes only, so still deterministic."""

WORKERS = 2
WINDOW = 32 * 1024
_SAMPLES = 4
_SAMPLE = 4 * 1024
_STORED_MAX = 0xFFFF
_IN_FLIGHT = 2 * WORKERS
_RAW = -15  # wbits: a raw deflate stream, 32 KiB window
# magic, deflate, no flags (no name), mtime 0, XFL 4 ("fastest"), OS 255 ("unknown")
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"
FINAL_BLOCK = b"\x03\x00"
"""An empty final block (fixed Huffman codes, end-of-block only), as zlib writes it."""


class Cancelled(Exception):
    """Compression stopped because its owner asked (failure or Ctrl-C elsewhere)."""


def deflate_block(block: bytes, window: bytes) -> bytes:
    """Raw deflate of `block`, primed with `window`, ended at a byte boundary."""
    if not compressible(block):
        return stored_blocks(block)
    args = (GZIP_LEVEL, isal_zlib.DEFLATED, _RAW, MEM_LEVEL, isal_zlib.Z_DEFAULT_STRATEGY)
    deflater = isal_zlib.compressobj(*args, window) if window else isal_zlib.compressobj(*args)
    return deflater.compress(block) + deflater.flush(isal_zlib.Z_SYNC_FLUSH)


def stored_blocks(block: bytes) -> bytes:
    """`block` as deflate stored blocks (RFC 1951 3.2.4), starting at a byte boundary:
    a zero header byte (not final, type 00), LEN and its complement, the bytes."""
    view = memoryview(block)
    parts: list[bytes | memoryview] = []
    for start in range(0, len(block), _STORED_MAX):
        piece = view[start : start + _STORED_MAX]
        parts += [struct.pack("<BHH", 0, len(piece), len(piece) ^ 0xFFFF), piece]
    return b"".join(parts)


def compressible(block: bytes) -> bool:
    """Whether samples spread over `block` deflate below `STORE_ABOVE` of their size."""
    if len(block) < 2 * _SAMPLES * _SAMPLE:
        return True
    step = len(block) // _SAMPLES
    samples = [block[i * step : i * step + _SAMPLE] for i in range(_SAMPLES)]
    packed = sum(len(isal_zlib.compress(sample, GZIP_LEVEL, _RAW)) for sample in samples)
    return packed < STORE_ABOVE * _SAMPLES * _SAMPLE


def gzip_chunks(
    blocks: Iterable[bytes],
    pool: Executor | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[bytes]:
    """The gzip member of the concatenated `blocks` (each `BLOCK` bytes but the last).

    With `pool`, blocks are deflated on its threads, a few ahead of the one yielded;
    without, inline. `cancel` set -> Cancelled at the next block.
    """
    yield GZIP_HEADER
    crc = size = 0
    window = b""
    pending: deque[Future[bytes]] = deque()
    try:
        for block in blocks:
            if cancel is not None and cancel.is_set():
                raise Cancelled
            crc = isal_zlib.crc32(block, crc)
            size += len(block)
            if pool is None:
                yield deflate_block(block, window)
            else:
                pending.append(pool.submit(deflate_block, block, window))
                if len(pending) >= _IN_FLIGHT:
                    yield pending.popleft().result()
            window = block[-WINDOW:]
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
    yield FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF)


def read_blocks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """`BLOCK`-sized reads until the end (a file's read can return less only at its end)."""
    while block := read(BLOCK):
        yield block


def blocks_of(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """`chunks` cut into `BLOCK`-byte blocks (the last may be shorter); chunks that are
    blocks already (a stream read `BLOCK` bytes at a time) pass through uncopied."""
    pending = bytearray()
    for chunk in chunks:
        if not pending and len(chunk) == BLOCK:
            yield chunk
            continue
        pending += chunk
        while len(pending) >= BLOCK:
            yield bytes(pending[:BLOCK])
            del pending[:BLOCK]
    if pending:
        yield bytes(pending)


def gzip_bytes(data: bytes) -> bytes:
    """The same format for a small buffer, inline (tests and tiny layers)."""
    blocks = (data[i : i + BLOCK] for i in range(0, len(data), BLOCK))
    return b"".join(gzip_chunks(blocks))
