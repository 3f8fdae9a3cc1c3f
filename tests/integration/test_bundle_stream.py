"""A bundle imported as it arrives (`import_stream`, what the console does with an upload)
is held to what `sealift import` of the file is: the same store afterwards, every changed
byte refused with nothing changed, and a stream that breaks off keeps what it verified."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from sealift.bundle.importer import ImportOptions, ImportResult, import_stream
from sealift.bundle.reader import StreamBrokeOff
from sealift.errors import BundleError
from sealift.market.catalog import Market
from tests.conftest import run_sealift
from tests.integration.test_bundle_reliability import bundle, first_layer_offset  # noqa: F401
from tests.integration.test_bundle_support import check_store_sound, store_snapshot


class Trickle(io.RawIOBase):
    """Bytes in pieces of random size, as a network gives them; never seekable. With
    `break_at`, the stream breaks off there as an upload whose browser went away."""

    def __init__(self, data: bytes, seed: int = 0, break_at: int | None = None) -> None:
        super().__init__()
        self._data, self._at = memoryview(data), 0
        self._rng = random.Random(seed)
        self._break_at = break_at

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._break_at is not None and self._at >= self._break_at:
            raise StreamBrokeOff("the upload broke off")
        end = len(self._data) if self._break_at is None else self._break_at
        n = min(len(buffer), self._rng.choice([1, 511, 4096, 65536, 1 << 20]), end - self._at)
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n


def streamed(home: Path, data: bytes, **trickle: int) -> ImportResult:
    options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
    stream = Trickle(data, **trickle)
    return import_stream(Market(home / "store"), stream, "shop.tar", len(data), options)


def staged(home: Path) -> set[str]:
    return {p.name for p in (home / "staging" / "blobs" / "sha256").iterdir()}


def test_a_streamed_bundle_fills_the_store_as_the_file_does(
    bundle: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    by_file, by_stream = tmp_path / "file", tmp_path / "stream"
    run_sealift(by_file, "import", str(bundle))
    result = streamed(by_stream, bundle.read_bytes(), seed=1)
    homes = (by_file, by_stream)
    assert sorted(a.ref for a in result.imported) == ["shop:1.0.0", "shop:1.1.0"]
    blobs = [{k: v for k, v in store_snapshot(h).items() if k != "index.json"} for h in homes]
    assert blobs[0] == blobs[1]  # (index.json also says when and from which file)
    listed = [json.loads(run_sealift(h, "market", "list", "--json").stdout) for h in homes]
    assert [(a["name"], a["version"], a["digest"]) for a in listed[0]] == [
        (a["name"], a["version"], a["digest"]) for a in listed[1]
    ]
    check_store_sound(by_stream)
    assert staged(by_stream) == set()


def test_every_changed_byte_is_refused_and_changes_nothing(
    bundle: Path,  # noqa: F811
    home: Path,
) -> None:
    rng = random.Random(7)
    good = bundle.read_bytes()
    Market(home / "store")
    before = store_snapshot(home)
    head_end = first_layer_offset(good)
    positions = [rng.randrange(len(good)) for _ in range(15)]
    positions += [rng.randrange(head_end) for _ in range(10)]
    for position in positions:
        data = bytearray(good)
        data[position] ^= rng.randrange(1, 256)
        with pytest.raises(BundleError):
            streamed(home, bytes(data), seed=position)
        assert store_snapshot(home) == before, position
        assert staged(home) == set(), position
    streamed(home, good)  # and the good bundle still streams in
    check_store_sound(home)


def test_the_size_said_first_must_be_the_bundle_size(
    bundle: Path,  # noqa: F811
    home: Path,
) -> None:
    data = bundle.read_bytes()
    options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
    with pytest.raises(BundleError, match=r"is \d+ bytes but its sealift-bundle.json says \d+"):
        import_stream(Market(home / "store"), Trickle(data), "shop.tar", len(data) - 1, options)


def test_a_stream_that_breaks_off_keeps_what_it_verified(
    bundle: Path,  # noqa: F811
    home: Path,
) -> None:
    data = bundle.read_bytes()
    Market(home / "store")
    before = store_snapshot(home)
    with pytest.raises(StreamBrokeOff):
        streamed(home, data, break_at=len(data) * 3 // 4)
    assert store_snapshot(home) == before
    kept = staged(home)
    assert kept
    result = streamed(home, data)
    assert result.reused == len(kept) and result.written > 0
    check_store_sound(home)
