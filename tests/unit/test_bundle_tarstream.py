"""The strict streaming tar reader and writer."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from sealift.bundle.sink import FileSink
from sealift.bundle.tarstream import (
    ALIGN,
    ALIGN_MIN,
    TarReader,
    TarWriter,
    archive_size,
    check_name,
)
from sealift.errors import BundleError


def write_tar(path: Path, members: dict[str, bytes], part_size: int = 0) -> list[Path]:
    sink = FileSink(path, part_size)
    tar = TarWriter(sink)
    for name, data in members.items():
        src = path.with_name("src")
        src.write_bytes(data)
        fd = os.open(src, os.O_RDONLY)
        tar.add_file(name, fd, len(data))
        os.close(fd)
    tar.close()
    return sink.commit()


def read_all(data: bytes) -> dict[str, bytes]:
    reader = TarReader(io.BytesIO(data))
    out = {}
    while (member := reader.next()) is not None:
        out[member.name] = b"".join(bytes(c) for c in reader.iter_data(member))
    return out


def test_written_tar_is_standard_and_reads_back(tmp_path: Path) -> None:
    members = {"a.json": b"{}", "blobs/sha256/x": os.urandom(70000)}
    [path] = write_tar(tmp_path / "t.tar", members)
    assert path.stat().st_size == archive_size([(k, len(v)) for k, v in members.items()])
    with tarfile.open(path) as tar:
        assert tar.getnames() == list(members)
    assert read_all(path.read_bytes()) == members
    assert not list(tmp_path.glob("*.tmp"))


def test_parts_concatenate_to_the_same_tar(tmp_path: Path) -> None:
    members = {"m": os.urandom(50000)}
    parts = write_tar(tmp_path / "t.tar", members, part_size=8192)
    assert len(parts) == 8 and all(p.stat().st_size == 8192 for p in parts[:-1])
    assert read_all(b"".join(p.read_bytes() for p in parts)) == members


def raw_tar(*infos: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in infos:
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    return ti


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (info("/etc/passwd"), "absolute path"),
        (info("blobs/../../x"), r"outside \(\.\.\)"),
        (info("x", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (info("x", tarfile.LNKTYPE, "index.json"), "hard link"),
        (info("x", tarfile.CHRTYPE), "character device"),
        (info("x", tarfile.BLKTYPE), "block device"),
        (info("x", tarfile.FIFOTYPE), "FIFO"),
        (info("blobs", tarfile.DIRTYPE), "directory"),
    ],
)
def test_unsafe_members_are_refused(member: tarfile.TarInfo, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        read_all(raw_tar((member, b"data")))


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(BundleError, match="twice"):
        read_all(raw_tar((info("a"), b"1"), (info("a"), b"2")))


def test_flipped_header_padding_and_trailer_bytes_are_refused() -> None:
    good = raw_tar((info("a"), b"123"))
    assert read_all(good) == {"a": b"123"}
    for position in (0, 100, 148, 155, 300, 512 + 3 + 10, 1024 + 5, len(good) - 1):
        bad = bytearray(good)
        bad[position] ^= 0x20
        with pytest.raises(BundleError):
            read_all(bytes(bad))


def test_truncated_tar_is_refused() -> None:
    good = raw_tar((info("a"), b"1" * 2000))
    for cut in (600, 1500, len(good) - 600):
        with pytest.raises(BundleError, match=r"(truncated|corrupt): .*copy it again"):
            read_all(good[:cut])


@pytest.mark.parametrize("size", [0, 10, 511])
def test_a_file_under_one_block_is_not_a_bundle(size: int) -> None:
    with pytest.raises(BundleError, match=r"not a sealift bundle .*`sealift export` wrote"):
        read_all(raw_tar((info("a"), b"1" * 2000))[:size])


@pytest.mark.parametrize("name", ["a/./b", "a//b", "a\\b", "a b", ""])
def test_odd_names_are_refused(name: str) -> None:
    with pytest.raises(BundleError):
        check_name(name)


def test_large_members_have_their_data_aligned_to_4_kib(tmp_path: Path) -> None:
    members = {"small": b"x" * 100, "a": os.urandom(ALIGN_MIN), "b": os.urandom(300_001)}
    members |= {f"blobs/sha256/{i:064x}": os.urandom(ALIGN_MIN + 512 * i) for i in range(9)}
    [path] = write_tar(tmp_path / "t.tar", members)
    assert path.stat().st_size == archive_size([(k, len(v)) for k, v in members.items()])
    reader = TarReader(io.BytesIO(path.read_bytes()))
    offsets = {}
    while (member := reader.next()) is not None:
        offsets[member.name] = member.offset
        assert b"".join(bytes(c) for c in reader.iter_data(member)) == members[member.name]
    assert offsets["small"] % ALIGN != 0
    assert all(offsets[name] % ALIGN == 0 for name in members if name != "small")
    with tarfile.open(path) as tar:  # an independent reader sees only the members
        assert tar.getnames() == list(members)
        assert all(tar.extractfile(name).read() == data for name, data in members.items())  # type: ignore[union-attr]


def pax_tar(records: dict[str, str]) -> bytes:
    ti = info("a")
    ti.pax_headers = records
    return raw_tar((ti, b"data"))


def test_filler_comment_is_accepted_but_any_other_comment_is_refused() -> None:
    assert read_all(pax_tar({"comment": "0" * 700})) == {"a": b"data"}
    for records in ({"comment": "hello"}, {"comment": "00 0"}, {"linkpath": "x"}, {"uid": "0"}):
        with pytest.raises(BundleError, match="extended header"):
            read_all(pax_tar(records))
    good = pax_tar({"comment": "0" * 700})
    bad = good.replace(b"comment=000", b"comment=0\xff0")
    with pytest.raises(BundleError, match="bad extended header"):
        read_all(bad)


def test_sink_flushes_in_the_background_while_copying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sealift.bundle import sink

    monkeypatch.setattr(sink, "COPY_CHUNK", 64 * 1024)
    monkeypatch.setattr(sink, "SYNC_EVERY", 128 * 1024)
    flushed: list[int] = []
    real = os.fdatasync

    def counted(fd: int) -> None:
        flushed.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", counted)
    members = {"big": os.urandom(1024 * 1024), "small": b"x"}
    [path] = write_tar(tmp_path / "t.tar", members)
    assert flushed  # the copy handed flushes to the second thread
    assert read_all(path.read_bytes()) == members
