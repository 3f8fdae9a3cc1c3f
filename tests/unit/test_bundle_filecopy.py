"""In-kernel copies into staging, their fallbacks, and hashing what landed in the file."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from sealift.bundle import filecopy
from sealift.bundle.parts import PartsReader
from sealift.bundle.sink import FileSink
from sealift.bundle.staging import Staging
from sealift.bundle.tarstream import TarReader, TarWriter
from sealift.errors import BundleError, CorruptBlobError

DATA = os.urandom(3 * 1024 * 1024 + 123)


def _copy_all(src: Path, dst: Path) -> bytes:
    with src.open("rb") as s, dst.open("wb") as d:
        done = 0
        while n := filecopy.copy_range(s.fileno(), done + 7, d.fileno(), done, 1 << 20):
            done += n
    return dst.read_bytes()


@pytest.mark.parametrize(
    "disable", [[], ["_use_copy_file_range"], ["_use_copy_file_range", "_use_sendfile"]]
)
def test_copy_range_and_its_fallbacks_copy_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, disable: list[str]
) -> None:
    for flag in disable:
        monkeypatch.setattr(filecopy, flag, False)
    src = tmp_path / "src"
    src.write_bytes(DATA)
    assert _copy_all(src, tmp_path / "dst") == DATA[7:]


def test_start_writeback_accepts_any_range(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(DATA)
    fd = os.open(path, os.O_RDWR)
    try:
        filecopy.start_writeback(fd, 0, len(DATA))
        filecopy.start_writeback(fd, len(DATA), 4096)  # past the end: still only a hint
    finally:
        os.close(fd)
    assert path.read_bytes() == DATA


def _tar(tmp_path: Path, data: bytes, part_size: int = 0) -> list[Path]:
    src = tmp_path / "blob"
    src.write_bytes(data)
    sink = FileSink(tmp_path / "t.tar", part_size)
    tar = TarWriter(sink)
    fd = os.open(src, os.O_RDONLY)
    tar.add_file("blobs/sha256/x", fd, len(data))
    os.close(fd)
    tar.close()
    return sink.commit()


def _stage(staging: Staging, reader: TarReader, digest: str) -> None:
    member = reader.next()
    assert member is not None
    staging.receive(digest, member.size, lambda fd, done: reader.copy_data(member, fd, done))
    staging.flush()


@pytest.mark.parametrize("part_size", [0, 1024 * 1024 + 512])
def test_staging_copies_from_parts_and_plain_streams(tmp_path: Path, part_size: int) -> None:
    digest = "sha256:" + hashlib.sha256(DATA).hexdigest()
    paths = _tar(tmp_path, DATA, part_size)
    assert len(paths) == (1 if not part_size else 4)
    for i, stream in enumerate(
        [PartsReader(paths), io.BytesIO(b"".join(p.read_bytes() for p in paths))]
    ):
        staging = Staging(tmp_path / f"staging{i}")
        with staging.locked():
            _stage(staging, TarReader(stream), digest)  # type: ignore[arg-type]
        assert staging.path(digest).read_bytes() == DATA


def test_staging_refuses_bytes_that_do_not_match(tmp_path: Path) -> None:
    [path] = _tar(tmp_path, DATA)
    staging = Staging(tmp_path / "staging")
    wrong = "sha256:" + hashlib.sha256(b"other").hexdigest()
    with staging.locked(), pytest.raises(CorruptBlobError):
        _stage(staging, TarReader(PartsReader([path])), wrong)  # type: ignore[arg-type]
    assert not staging.path(wrong).exists()
    assert list((tmp_path / "staging" / "tmp").iterdir()) == []


def test_staging_names_a_truncated_member(tmp_path: Path) -> None:
    [path] = _tar(tmp_path, DATA)
    with path.open("r+b") as f:
        f.truncate(2 * 1024 * 1024)
    staging = Staging(tmp_path / "staging")
    digest = "sha256:" + hashlib.sha256(DATA).hexdigest()
    with staging.locked(), pytest.raises(BundleError, match="truncated"):
        _stage(staging, TarReader(PartsReader([path])), digest)  # type: ignore[arg-type]
    assert not staging.path(digest).exists()
