"""The OCI layout store: atomic, content-addressed, readable by any OCI tool."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from sealift.errors import CorruptBlobError, NotFoundError, StoreError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout
from tinyimages import one_layer_manifest


def test_create_writes_a_standard_layout(tmp_path: Path) -> None:
    Layout.create(tmp_path / "s")
    assert json.loads((tmp_path / "s" / "oci-layout").read_text()) == {
        "imageLayoutVersion": "1.0.0"
    }
    index = json.loads((tmp_path / "s" / "index.json").read_text())
    assert index["schemaVersion"] == 2 and index["manifests"] == []


def test_blob_lands_under_its_digest(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    digest = layout.put_bytes(b"hello")
    assert digest == digest_bytes(b"hello")
    assert (tmp_path / "blobs" / "sha256" / digest[7:]).read_bytes() == b"hello"


def write_stream(
    layout: Layout,
    chunks: Iterable[bytes],
    expected_digest: str | None = None,
    expected_size: int | None = None,
) -> str:
    with layout.writer(expected_digest, expected_size) as w:
        for chunk in chunks:
            w.write(chunk)
        return w.commit()


def test_wrong_digest_leaves_nothing_visible(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    with pytest.raises(CorruptBlobError, match="corrupt"):
        write_stream(layout, [b"abc"], expected_digest=digest_bytes(b"abd"))
    assert layout.blob_digests() == set()
    assert list(layout.tmp_dir.iterdir()) == []


def test_too_long_stream_is_refused_while_writing(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    with pytest.raises(CorruptBlobError, match="longer"):
        write_stream(layout, [b"a" * 10, b"b" * 10], expected_size=12)
    assert layout.blob_digests() == set()


def test_interrupted_write_leaves_no_blob(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)

    def chunks() -> object:
        yield b"partial"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_stream(layout, chunks())  # type: ignore[arg-type]
    assert layout.blob_digests() == set()


def test_refs_and_walk(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    manifest = one_layer_manifest(layout, b"layer-bytes")
    layout.set_ref("shop/web:1.0.0", manifest)
    found = layout.resolve("shop/web:1.0.0")
    assert found.digest == manifest.digest
    walked = list(layout.walk(found))
    assert [d.media_type for d in walked] == [
        media.OCI_MANIFEST,
        media.OCI_CONFIG,
        media.OCI_LAYER_GZIP,
    ]
    with pytest.raises(NotFoundError):
        layout.resolve("shop/web:2.0.0")


def test_set_ref_replaces_the_same_name(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    layout.set_ref("a:1", one_layer_manifest(layout, b"one"))
    second = one_layer_manifest(layout, b"two")
    layout.set_ref("a:1", second)
    assert [e.digest for e in layout.entries()] == [second.digest]


def test_failed_index_edit_writes_nothing(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    layout.set_ref("a:1", one_layer_manifest(layout, b"one"))
    before = (tmp_path / "index.json").read_bytes()
    with pytest.raises(RuntimeError), layout.editing_entries() as entries:
        entries.clear()
        raise RuntimeError("boom")
    assert (tmp_path / "index.json").read_bytes() == before


def test_shared_layer_is_stored_once_and_gc_keeps_it(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    a = one_layer_manifest(layout, b"shared")
    layout.set_ref("a:1", a)
    b = layout.put_json(
        {
            "schemaVersion": 2,
            "mediaType": media.OCI_MANIFEST,
            "config": layout.put_json(
                {"os": "linux", "architecture": "arm64"}, media.OCI_CONFIG
            ).to_json(),
            "layers": [Descriptor(media.OCI_LAYER_GZIP, digest_bytes(b"shared"), 6).to_json()],
        },
        media.OCI_MANIFEST,
    )
    layout.set_ref("b:1", b)
    layout.put_bytes(b"orphan")
    count, freed = layout.collect_garbage()
    assert (count, freed) == (1, 6)
    assert layout.has_blob(digest_bytes(b"shared"))


def test_corrupt_json_blob_is_detected(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    desc = one_layer_manifest(layout, b"x")
    path = layout.blob_path(desc.digest)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b"schemaVersion", b"schemaVersiom"))
    with pytest.raises(StoreError, match="corrupt"):
        layout.read_json(desc.digest)


def test_platform_parsing() -> None:
    assert str(Platform.parse("linux/arm64")) == "linux/arm64"
    assert Platform.parse("aarch64") == Platform("linux", "arm64")
    assert Platform.parse("linux/arm/v7").variant == "v7"
    assert Platform("linux", "arm64").matches(Platform("linux", "arm64", "v8"))
    with pytest.raises(ValueError, match="not a platform"):
        Platform.parse("linux/")
