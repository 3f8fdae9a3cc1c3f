"""Staging hashes what lands in the file, in chunks of any size and alignment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sealift.bundle.staging import StagedBlobMismatch, Staging
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
    """The mismatch surfaces at the latest from `flush` (the hash runs behind the copy)."""
    data = os.urandom(100_000)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    flipped = bytes([data[0] ^ 1]) + data[1:]
    staging = Staging(tmp_path / "staging")
    with staging.locked():
        with pytest.raises(CorruptBlobError, match="has digest sha256:"):
            staging.receive(digest, len(data), chunked_fill(flipped, [4097]))
            staging.flush()
        staging.flush()
    assert not staging.has(digest, len(data))
    assert list(staging.tmp_dir.iterdir()) == []


def test_a_mismatch_found_later_names_its_own_blob(tmp_path: Path) -> None:
    """Blobs are hashed while the next ones are copied: a later `receive` may raise the
    mismatch of an earlier blob, naming that blob; good blobs before it are kept."""
    blobs = [os.urandom(300_000 + i) for i in range(4)]
    digests = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
    staging = Staging(tmp_path / "staging")
    with staging.locked():
        staging.receive(digests[0], len(blobs[0]), chunked_fill(blobs[0], [65536]))
        flipped = blobs[1][:-1] + bytes([blobs[1][-1] ^ 1])
        with pytest.raises(StagedBlobMismatch) as raised:
            staging.receive(digests[1], len(blobs[1]), chunked_fill(flipped, [65536]))
            for digest, data in zip(digests[2:], blobs[2:]):
                staging.receive(digest, len(data), chunked_fill(data, [65536]))
            staging.flush()
        assert raised.value.digest == digests[1]
        staging.flush()
    assert staging.path(digests[0]).read_bytes() == blobs[0]
    assert not staging.has(digests[1], len(blobs[1]))
    assert list(staging.tmp_dir.iterdir()) == []
