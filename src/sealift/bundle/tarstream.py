"""A plain POSIX tar, written and read as a stream, with nothing but regular files.

The reader is strict on purpose: every header's checksum field, every padding byte
and the end of the archive are checked, and links, devices, directories, absolute
paths, `..` and duplicate names are refused before their data is touched.

Large members have their data aligned to 4 KiB in the archive: an extended (PAX)
header carrying one `comment` record of filler pushes the data start to a multiple of
ALIGN. Readers ignore comments, so the file stays a plain POSIX tar, and copying a
page-aligned range in or out of it is much cheaper for the kernel than an unaligned one.
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from sealift.errors import BundleError

BLOCK = 512
RECORD = 20 * BLOCK
CHUNK = 1024 * 1024
COPY_CHUNK = 8 * 1024 * 1024  # per copy: large enough that Python's overhead vanishes
MAX_PAX = 64 * 1024
ALIGN = 4096
ALIGN_MIN = 64 * 1024  # smaller members are not worth up to 4 KiB of filler
_FILLER = "0"
_PAX_NAME = "././@PaxHeader"
_CHKSUM_FIELD = re.compile(rb"^[0-7]{6}\x00 $")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
_TYPE_NAMES = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.DIRTYPE: "a directory",
    tarfile.FIFOTYPE: "a FIFO",
}


def padding(size: int) -> int:
    return -size % BLOCK


def member_header(name: str, size: int, offset: int, mode: int = 0o644) -> bytes:
    """The header(s) of a member that starts at `offset`: aligned data for large ones."""
    plain = header(name, size, mode)
    if size < ALIGN_MIN or (offset + len(plain)) % ALIGN == 0:
        return plain
    records = -(offset + BLOCK + len(plain)) % ALIGN or ALIGN
    return _filler_pax(records) + plain


def _filler_pax(length: int) -> bytes:
    """An extended header whose data is one `comment` record of exactly `length` bytes
    (a multiple of BLOCK, so it needs no padding)."""
    prefix = f"{length} comment="
    record = (prefix + _FILLER * (length - len(prefix) - 1) + "\n").encode("ascii")
    info = tarfile.TarInfo(_PAX_NAME)
    info.type = tarfile.XHDTYPE
    info.size = len(record)
    info.mode = 0o644
    info.mtime = 0
    return info.tobuf(tarfile.USTAR_FORMAT, "ascii", "strict") + record


def archive_size(members: list[tuple[str, int]]) -> int:
    """Bytes of the archive TarWriter writes for these members, in this order."""
    body = 0
    for name, size in members:
        body += len(member_header(name, size, body)) + size + padding(size)
    body += 2 * BLOCK
    return body + (-body % RECORD)


def header(name: str, size: int, mode: int = 0o644) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = 0
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


class Sink(Protocol):
    def write(self, data: bytes) -> int: ...

    def copy_from(self, fd: int, size: int) -> None: ...


class _CountingSink:
    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self._sink.write(data)

    def copy_from(self, fd: int, size: int) -> None:
        self._sink.copy_from(fd, size)
        self.count += size


class TarWriter:
    """Writes members to a Sink; `close()` ends the archive."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.offset = 0

    def _write(self, data: bytes) -> None:
        self._sink.write(data)
        self.offset += len(data)

    def add_bytes(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._write(member_header(name, len(data), self.offset, mode))
        self._write(data + b"\0" * padding(len(data)))

    def add_chunks(self, name: str, size: int, chunks: Iterable[bytes], mode: int = 0o644) -> None:
        """A member of `size` bytes made of `chunks` (their total must be `size`)."""
        self._write(member_header(name, size, self.offset, mode))
        start = self.offset
        for chunk in chunks:
            self._write(chunk)
        if self.offset - start != size:
            raise BundleError(f"bug: member {name} has {self.offset - start} bytes, not {size}")
        self._write(b"\0" * padding(size))

    def add_written(self, name: str, size: int, write: Callable[[Sink], None]) -> None:
        """A member of `size` bytes that `write` writes into the sink it is given (e.g. a
        whole bundle inside a package), copied inside the kernel like `add_file`."""
        self._write(member_header(name, size, self.offset))
        counted = _CountingSink(self._sink)
        write(counted)
        if counted.count != size:
            raise BundleError(f"bug: member {name} has {counted.count} bytes, not {size}")
        self.offset += size
        self._write(b"\0" * padding(size))

    def add_file(self, name: str, fd: int, size: int, mode: int = 0o644) -> None:
        """Copy `size` bytes from an open file (its offset 0) as member `name`."""
        self._write(member_header(name, size, self.offset, mode))
        self._sink.copy_from(fd, size)
        self.offset += size
        self._write(b"\0" * padding(size))

    def close(self) -> None:
        end = self.offset + 2 * BLOCK
        self._write(b"\0" * (2 * BLOCK + (-end % RECORD)))


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    offset: int  # where its data starts in the archive


class TarReader:
    """Reads members one at a time from a binary stream (seekable streams skip fast)."""

    def __init__(self, stream: BinaryIO, *, expected_size: int | None = None) -> None:
        self._f = stream
        self._pos = 0
        self._pending = 0  # data + padding of the current member not yet consumed
        self._pending_data = 0
        self._seen: set[str] = set()
        self.expected_size = expected_size
        self.where = "bundle"
        self._buffer = bytearray(CHUNK)

    @property
    def position(self) -> int:
        return self._pos

    def next(self) -> Member | None:
        """The next member, or None at a correct end of the archive."""
        self._skip_rest()
        pax: dict[str, str] = {}
        while True:
            block = self._read_exact(BLOCK, "a member header")
            if block == b"\0" * BLOCK:
                self._check_end()
                return None
            info = self._parse_header(block)
            if info.type == tarfile.XHDTYPE:
                pax = self._read_pax(info.size)
                continue
            return self._member(info, pax)

    def _member(self, info: tarfile.TarInfo, pax: dict[str, str]) -> Member:
        name = pax.get("path", info.name)
        size = int(pax["size"]) if "size" in pax else info.size
        if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
            kind = _TYPE_NAMES.get(info.type, f"of type {info.type!r}")
            raise BundleError.unsafe(f"member {name[:100]!r} is {kind}")
        check_name(name)
        if name in self._seen:
            raise BundleError.unsafe(f"member {name[:100]!r} appears twice")
        self._seen.add(name)
        self._pending_data = size
        self._pending = size + padding(size)
        return Member(name, size, self._pos)

    def read_small(self, member: Member, limit: int) -> bytes:
        if member.size > limit:
            raise BundleError(f"{member.name} is larger than {limit} bytes: refusing to read it")
        return b"".join(bytes(chunk) for chunk in self.iter_data(member))

    def iter_data(self, member: Member) -> Iterator[memoryview]:
        """The member's data in chunks (views of one reused buffer: consume each before
        asking for the next); then its padding is checked."""
        buffer = memoryview(self._buffer)
        while self._pending_data:
            want = min(len(buffer), self._pending_data)
            n = self._f.readinto(buffer[:want])  # type: ignore[attr-defined]
            if not n:
                raise self._truncated(f"the data of {member.name}")
            self._pos += n
            self._pending_data -= n
            self._pending -= n
            yield buffer[:n]
        self._check_padding(member)

    def copy_data(self, member: Member, fd: int, copied: Callable[[int, int], None]) -> None:
        """Copy the member's data into file `fd` (from its offset 0), inside the kernel
        where the stream allows it; `copied(offset, n)` follows each chunk. Then its
        padding is checked."""
        copy_to = getattr(self._f, "copy_to", None)
        offset = 0
        while self._pending_data:
            want = min(COPY_CHUNK, self._pending_data)
            n = copy_to(fd, offset, want) if copy_to else self._write_through(fd, offset, want)
            if not n:
                raise self._truncated(f"the data of {member.name}")
            self._pos += n
            self._pending_data -= n
            self._pending -= n
            copied(offset, n)
            offset += n
        self._check_padding(member)

    def _write_through(self, fd: int, offset: int, count: int) -> int:
        view = memoryview(self._buffer)[: min(count, len(self._buffer))]
        n: int = self._f.readinto(view)  # type: ignore[attr-defined]
        done = 0
        while done < n:
            done += os.pwrite(fd, view[done:n], offset + done)
        return n

    def skip_data(self, member: Member) -> None:
        if self._f.seekable() and self._pending_data:
            self._f.seek(self._pending_data, os.SEEK_CUR)
            self._pos += self._pending_data
            self._pending -= self._pending_data
            self._pending_data = 0
        for _ in self.iter_data(member):
            pass
        self._check_padding(member)

    def _check_padding(self, member: Member) -> None:
        if self._pending:
            pad = self._read_exact(self._pending, f"the padding of {member.name}")
            self._pending = 0
            if pad.count(0) != len(pad):
                raise BundleError.corrupt(f"garbage after member {member.name}")

    def _skip_rest(self) -> None:
        if self._pending:
            self.skip_data(Member("(previous member)", self._pending_data, self._pos))

    def _parse_header(self, block: bytes) -> tarfile.TarInfo:
        if not _CHKSUM_FIELD.match(block[148:156]):
            raise self._bad_header()
        try:
            return tarfile.TarInfo.frombuf(block, "utf-8", "strict")
        except (tarfile.HeaderError, UnicodeDecodeError, ValueError):
            raise self._bad_header() from None

    def _bad_header(self) -> BundleError:
        at = self._pos - BLOCK
        if at == 0:
            return BundleError.not_a_bundle(self.where, "not a tar file")
        return BundleError.corrupt(f"bad member header at byte {at}")

    def _read_pax(self, size: int) -> dict[str, str]:
        if size > MAX_PAX:
            raise BundleError.unsafe("extended header too large")
        raw = self._read_exact(size + padding(size), "an extended header")[:size]
        out: dict[str, str] = {}
        for record in _pax_records(raw):
            key, _, value = record.partition("=")
            if key == "comment" and value.strip(_FILLER) == "":
                continue  # the filler that aligns the data (see member_header)
            if key not in ("path", "size", "mtime"):
                raise BundleError.unsafe(f"unsupported extended header {key[:40]!r}")
            out[key] = value
        if "size" in out and not out["size"].isdigit():
            raise BundleError.corrupt("bad size in an extended header")
        return out

    def _check_end(self) -> None:
        self._read_exact(BLOCK, "the end of the archive")
        rest = self._f.read(RECORD + 1)
        self._pos += len(rest)
        if len(rest) > RECORD or rest.count(0) != len(rest) or self._pos % BLOCK:
            raise BundleError.corrupt("data after the end of the archive")
        if self.expected_size is not None and self._pos != self.expected_size:
            state = "truncated or incomplete" if self._pos < self.expected_size else "corrupt"
            raise BundleError(
                f"{self.where} is {state}: it ends at byte {self._pos}, "
                f"expected {self.expected_size}; copy it again"
            )

    def _read_exact(self, n: int, what: str) -> bytes:
        parts: list[bytes] = []
        got = 0
        while got < n:
            data = self._f.read(n - got)
            if not data:
                raise self._truncated(what)
            parts.append(data)
            got += len(data)
        self._pos += got
        out = b"".join(parts)
        if what == "the end of the archive" and out.count(0) != len(out):
            raise BundleError.corrupt("bad end of the archive")
        return out

    def _truncated(self, what: str) -> BundleError:
        if self._pos == 0:  # not even one tar block (512 bytes): some other, small file
            return BundleError.not_a_bundle(self.where, "shorter than one tar block")
        return BundleError(
            f"{self.where} is truncated: it ends inside {what} (at byte {self._pos}); copy it again"
        )


def _pax_records(raw: bytes) -> Iterator[str]:
    pos = 0
    while pos < len(raw):
        length_text, space, _ = raw[pos : pos + 24].partition(b" ")
        if not space or not length_text.isdigit():
            raise BundleError.corrupt("bad extended header")
        length = int(length_text)
        record = raw[pos : pos + length]
        if length <= len(length_text) + 1 or len(record) != length or not record.endswith(b"\n"):
            raise BundleError.corrupt("bad extended header")
        try:
            yield record[len(length_text) + 1 : -1].decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise BundleError.corrupt("bad extended header") from None
        pos += length


def check_name(name: str) -> None:
    """Refuse absolute paths, `..`, empty or odd components before anything is written."""
    if name.startswith("/"):
        raise BundleError.unsafe(f"member {name[:100]!r} has an absolute path")
    if ".." in name.split("/"):
        raise BundleError.unsafe(f"member {name[:100]!r} points outside (..)")
    if len(name) > 255 or not _SAFE_NAME.match(name) or "." in name.split("/"):
        raise BundleError.unsafe(f"member name {name[:100]!r} is not allowed")
