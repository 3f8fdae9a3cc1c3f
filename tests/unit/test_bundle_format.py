"""sealift-bundle.json, safe JSON, sizes and signatures: pure logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.bundle import manifest as bm
from sealift.bundle import safejson
from sealift.bundle.parts import find_parts, parse_size
from sealift.bundle.signing import keygen, load_private, load_public, sign, verify
from sealift.errors import AlreadyExistsError, BundleError, SignatureError

D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64


def sample() -> bm.BundleManifest:
    return bm.BundleManifest(
        creator="sealift 0.1.0",
        created="2026-01-01T00:00:00Z",
        apps=[bm.AppRef("shop", "1.0.0", D1, 10)],
        platforms=["linux/amd64"],
        index=bm.BlobEntry(D2, 5, "json"),
        blobs=[bm.BlobEntry(D1, 10, "json")],
    )


def test_manifest_round_trip() -> None:
    m = sample()
    assert bm.parse(m.to_bytes()) == m


@pytest.mark.parametrize("position", [5, 40, 120, 200, -10])
def test_manifest_any_changed_byte_is_refused(position: int) -> None:
    data = bytearray(sample().to_bytes())
    data[position] = ord("0") if data[position] != ord("0") else ord("1")
    with pytest.raises(BundleError):
        bm.parse(bytes(data))


def test_manifest_refuses_unknown_schema_and_non_canonical_bytes() -> None:
    data = sample().to_bytes()
    with pytest.raises(BundleError, match="unsupported format"):
        bm.parse(data.replace(b"sealift-bundle/v1", b"sealift-bundle/v9"))
    with pytest.raises(BundleError, match="checksum"):
        bm.parse(data.replace(b'{"apps"', b'{ "apps"'))


def test_manifest_refuses_duplicate_blob() -> None:
    m = sample()
    dup = bm.BundleManifest(
        m.creator, m.created, m.apps, m.platforms, m.index, [m.blobs[0], m.blobs[0]]
    )
    with pytest.raises(BundleError, match="twice"):
        bm.parse(dup.to_bytes())


def test_safejson_limits() -> None:
    with pytest.raises(BundleError, match="larger than"):
        safejson.load(b"[" + b"1," * 100 + b"1]", "x", max_size=50)
    with pytest.raises(BundleError, match="nested deeper"):
        safejson.load(b"[" * 100 + b"]" * 100, "x", max_size=1000)
    brackets = b'{"a": "' + b"[" * 40 + b'"}'
    assert safejson.load(brackets, "x", max_size=1000) == {"a": "[" * 40}


@pytest.mark.parametrize(
    ("text", "size"),
    [("4G", 4 << 30), ("700M", 700 << 20), ("512k", 512 << 10), ("1000", 1000), ("2GiB", 2 << 30)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "4X", "-1G", "1.5G"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(BundleError):
        parse_size(text)


def test_find_parts_from_any_name_and_names_a_gap(tmp_path: Path) -> None:
    for n in (1, 2, 3):
        (tmp_path / f"b.tar.part{n:03d}").write_bytes(b"x")
    expected = [tmp_path / f"b.tar.part{n:03d}" for n in (1, 2, 3)]
    for given in ("b.tar", "b.tar.part001", "b.tar.part003"):
        assert find_parts(tmp_path / given) == expected
    (tmp_path / "b.tar.part002").unlink()
    with pytest.raises(BundleError, match=r"b\.tar\.part002 is missing"):
        find_parts(tmp_path / "b.tar")


def test_sign_and_verify(tmp_path: Path) -> None:
    key_path, pub_path = keygen(tmp_path / "vendor")
    assert key_path.stat().st_mode & 0o777 == 0o600
    other = load_public(keygen(tmp_path / "other")[1])
    data = b"manifest"
    signature = sign(data, load_private(key_path))
    assert verify(data, signature, [load_public(pub_path)], "test").startswith("sha256:")
    with pytest.raises(SignatureError, match="another key"):
        verify(data, signature, [other], "test")
    with pytest.raises(SignatureError, match="changed after signing"):
        verify(data + b"!", signature, [load_public(pub_path)], "test")
    with pytest.raises(SignatureError, match="not signed"):
        verify(data, None, [other], "test")
    with pytest.raises(AlreadyExistsError):
        keygen(tmp_path / "vendor")
