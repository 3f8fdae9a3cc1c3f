"""Staging hashes what lands in the file, in chunks of any size and alignment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sealift.bundle.staging import Staging
from sealift.errors import CorruptBlobError


def chunked_fill(
    data: bytes, sizes: list[int]
) -> Callable[[int, Callable[[int, int], None]], None]:
    """Write `data` in chunks of the given sizes (the last repeated), as copy_data does."""

    def fill(fd: int, copied: Callable[[int, int], None]) -> None:
        offset, i = 0, 0
        while offset < len(data):
            n = min(sizes[min(i, len(sizes) - 1)], len(data) - offset)
            os.pwrite(fd, data[offset : offset + n], offset)
            copied(offset, n)
            offset, i = offset + n, i + 1

    return fill


@pytest.mark.parametrize(
    "sizes", [[1 << 20], [4095, 4097, 12289, 1 << 19], [7, 1 << 16, 3, 100_003], [3 << 20]]
)
def test_digest_of_unaligned_chunks(tmp_path: Path, sizes: list[int]) -> None:
    data = os.urandom((2 << 20) + 12345)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    staging = Staging(tmp_path / "staging")
    with staging.locked():
        staging.receive(digest, len(data), chunked_fill(data, sizes))
        staging.flush()
    assert staging.path(digest).read_bytes() == data


def test_wrong_bytes_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    flipped = bytes([data[0] ^ 1]) + data[1:]
    staging = Staging(tmp_path / "staging")
    with staging.locked():
        with pytest.raises(CorruptBlobError, match="has digest sha256:"):
            staging.receive(digest, len(data), chunked_fill(flipped, [4097]))
        staging.flush()
    assert not staging.has(digest, len(data))
    assert list(staging.tmp_dir.iterdir()) == []
