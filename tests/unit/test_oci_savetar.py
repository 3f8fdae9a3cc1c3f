"""The `docker save` stream parser on synthetic legacy archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sealift.errors import CorruptBlobError, EngineError
from sealift.oci import media, spool
from sealift.oci.compress import (
    BLOCK,
    GZIP_HEADER,
    compressible,
    gzip_bytes,
    gzip_chunks,
    read_blocks,
)
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layercache import CACHE_FILE
from sealift.oci.layout import Layout
from sealift.oci.savetar import IterStream, SaveArchive, build_manifest, read_save_stream
from sealift.progress import NO_PROGRESS

PINNED_GZIP_DIGEST = "sha256:ead05465398c74d780e66721e3d369861c761bd5ade3900f1c4f81fedadff2ef"


def layer_tar(content: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("file")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def legacy_save(
    layers: list[bytes], diff_ids: list[str] | None = None, link_second: bool = False
) -> bytes:
    """Layers first, config, then manifest.json last, as engine 20.10 writes them."""
    config = json.dumps(
        {
            "os": "linux",
            "architecture": "arm64",
            "variant": "v8",
            "rootfs": {"type": "layers", "diff_ids": diff_ids or [sha(x) for x in layers]},
        }
    ).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for i, data in enumerate(layers):
            if link_second and i == 1:
                info = tarfile.TarInfo(f"l{i}/layer.tar")
                info.type, info.linkname = tarfile.SYMTYPE, "../l0/layer.tar"
                tar.addfile(info)
                continue
            add(tar, f"l{i}/VERSION", b"1.0")
            add(tar, f"l{i}/layer.tar", data)
        add(tar, "cfg.json", config)
        add(
            tar,
            "manifest.json",
            json.dumps(
                [
                    {
                        "Config": "cfg.json",
                        "RepoTags": None,
                        "Layers": [f"l{i}/layer.tar" for i in range(len(layers))],
                    }
                ]
            ).encode(),
        )
    return out.getvalue()


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def parse(data: bytes, tmp_path: Path) -> tuple[Layout, tuple[Descriptor, Platform]]:
    layout = Layout.create(tmp_path)
    chunks = (data[i : i + 1000] for i in range(0, len(data), 1000))
    stream = io.BufferedReader(IterStream(chunks))
    archive = read_save_stream(stream, layout, NO_PROGRESS, "img")
    return layout, build_manifest(archive, layout, "img")


def test_legacy_archive_becomes_oci_manifest_with_gzip_layers(tmp_path: Path) -> None:
    layers = [layer_tar(b"a" * 5000), layer_tar(b"b")]
    layout, (desc, platform) = parse(legacy_save(layers), tmp_path)
    assert str(platform) == "linux/arm64/v8"
    doc = layout.read_json(desc.digest)
    assert doc["mediaType"] == media.OCI_MANIFEST
    assert len(doc["layers"]) == len(layers)
    for entry, raw in zip(doc["layers"], layers):
        assert entry["mediaType"] == media.OCI_LAYER_GZIP
        with layout.open_blob(entry["digest"]) as f:
            assert gzip.decompress(f.read()) == raw


def test_symlinked_layer_is_found(tmp_path: Path) -> None:
    same = layer_tar(b"same")
    layout, (desc, _) = parse(legacy_save([same, same], link_second=True), tmp_path)
    doc = layout.read_json(desc.digest)
    assert doc["layers"][0]["digest"] == doc["layers"][1]["digest"]


def test_same_input_same_digest(tmp_path: Path) -> None:
    data = legacy_save([layer_tar(b"x" * 100)])
    _, (first, _) = parse(data, tmp_path / "a")
    _, (second, _) = parse(data, tmp_path / "b")
    assert first.digest == second.digest


def test_diff_id_mismatch_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptBlobError, match=r"do not match the image config's diff_ids"):
        parse(legacy_save([layer_tar(b"x")], diff_ids=[sha(b"other")]), tmp_path)


def test_missing_manifest_json(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        add(tar, "l0/layer.tar", layer_tar(b"x"))
    with pytest.raises(EngineError, match=r"lacks manifest.json"):
        parse(out.getvalue(), tmp_path)


# -- reuse: layers the store holds are never compressed again ------------------------


def read_into(layout: Layout, data: bytes) -> tuple[SaveArchive, Descriptor]:
    stream = io.BufferedReader(IterStream([data]))
    archive = read_save_stream(stream, layout, NO_PROGRESS, "img")
    return archive, build_manifest(archive, layout, "img")[0]


def must_not_compress(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a layer was compressed again")

    monkeypatch.setattr(spool, "gzip_chunks", refuse)


def test_second_read_of_the_same_image_compresses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.create(tmp_path)
    data = legacy_save([layer_tar(b"a" * 5000), layer_tar(b"b")])
    first, first_desc = read_into(layout, data)
    assert first.compressed == 2
    must_not_compress(monkeypatch)
    second, second_desc = read_into(layout, data)
    assert second.compressed == 0
    assert second_desc.digest == first_desc.digest
    assert list(layout.tmp_dir.iterdir()) == []


def test_new_image_on_a_stored_base_compresses_only_its_own_layer(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    base = layer_tar(b"base" * 1000)
    read_into(layout, legacy_save([base, layer_tar(b"v1")]))
    archive, desc = read_into(layout, legacy_save([base, layer_tar(b"v2")]))
    assert archive.compressed == 1
    with layout.open_blob(layout.read_json(desc.digest)["layers"][1]["digest"]) as f:
        assert gzip.decompress(f.read()) == layer_tar(b"v2")


def test_the_same_layer_twice_in_one_image_is_compressed_once(tmp_path: Path) -> None:
    same = layer_tar(b"same")
    archive, _ = read_into(Layout.create(tmp_path), legacy_save([same, same]))
    assert archive.compressed == 1


def test_cache_entry_whose_blob_is_gone_is_not_trusted(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    data = legacy_save([layer_tar(b"x" * 3000)])
    _, desc = read_into(layout, data)
    layer = layout.read_json(desc.digest)["layers"][0]["digest"]
    layout.remove_blob(layer)  # as garbage collection would
    archive, again = read_into(layout, data)
    assert archive.compressed == 1
    assert again.digest == desc.digest and layout.has_blob(layer)


def test_layers_of_named_images_are_found_without_the_cache_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.create(tmp_path)
    data = legacy_save([layer_tar(b"y" * 3000)])
    _, desc = read_into(layout, data)
    layout.set_ref("img:1", desc)
    (layout.root / CACHE_FILE).unlink()
    must_not_compress(monkeypatch)
    assert read_into(layout, data)[0].compressed == 0


def test_failure_midway_leaves_no_spool_and_no_half_blob(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    big = layer_tar(random.Random(7).randbytes(6 * BLOCK))
    data = legacy_save([big, layer_tar(b"z" * 100_000)])

    def interrupted() -> Iterator[bytes]:
        yield data[
            : data.index(b"l1/layer.tar") + 50_000
        ]  # the first layer whole, the second in part
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        read_save_stream(io.BufferedReader(IterStream(interrupted())), layout, NO_PROGRESS, "i")
    assert list(layout.tmp_dir.iterdir()) == []
    for blob in layout.blobs_dir.iterdir():  # the first layer may have finished: whole
        assert gzip.decompress(blob.read_bytes()) == big


# -- the gzip format: deterministic whatever the threads -----------------------------


def test_gzip_is_the_same_with_any_number_of_threads() -> None:
    text = b"sealift " * (BLOCK // 4)
    data = random.Random(1).randbytes(BLOCK + 1234) + text
    inline = gzip_bytes(data)
    for workers in (1, 2, 3):
        with ThreadPoolExecutor(workers) as pool:
            blocks = read_blocks(io.BytesIO(data).read)
            assert b"".join(gzip_chunks(blocks, pool)) == inline
    assert gzip.decompress(inline) == data
    # the noise is stored, the text compresses (also across the block border)
    assert len(inline) < BLOCK + 1234 + len(text) // 20


def test_gzip_header_has_no_name_and_mtime_zero() -> None:
    blob = gzip_bytes(b"hello")
    assert blob[:10] == GZIP_HEADER and blob[3] == 0 and blob[4:8] == b"\0\0\0\0"
    assert gzip.decompress(gzip_bytes(b"")) == b""


def test_gzip_bytes_are_pinned() -> None:
    """Digests must not change between runs or releases: changing GZIP_LEVEL, MEM_LEVEL,
    BLOCK, the framing or the pinned python-isal release changes every layer digest
    sealift makes. Update only on purpose."""
    data = random.Random(2).randbytes(BLOCK) + b"layer " * 200_000
    assert sha(gzip_bytes(data)) == PINNED_GZIP_DIGEST


def test_incompressible_blocks_are_stored_and_the_rest_deflated() -> None:
    noise = random.Random(3).randbytes(BLOCK)
    text = b"usr/lib/libc.so.6 " * (BLOCK // 18)
    assert not compressible(noise) and compressible(text)
    blob = gzip_bytes(noise + text)
    assert gzip.decompress(blob) == noise + text
    assert len(noise) < len(blob) < len(noise) + len(text) // 20


# -- layers new to the store: gzipped while the stream is read -----------------------


def read_fresh(layout: Layout, data: bytes, diff_ids: list[str]) -> tuple[SaveArchive, Descriptor]:
    stream = io.BufferedReader(IterStream([data]))
    archive = read_save_stream(stream, layout, NO_PROGRESS, "img", diff_ids=diff_ids)
    return archive, build_manifest(archive, layout, "img")[0]


def must_not_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a layer was spooled")

    monkeypatch.setattr(spool.LayerSink, "_spool", refuse)


def test_gzip_while_reading_makes_the_same_blobs_as_spooling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = [layer_tar(random.Random(5).randbytes(BLOCK + 77) + b"text " * 300_000)]
    layers.append(layer_tar(b"b"))
    data = legacy_save(layers)
    _, (spooled, _) = parse(data, tmp_path / "a")
    must_not_spool(monkeypatch)
    layout = Layout.create(tmp_path / "b")
    archive, desc = read_fresh(layout, data, [sha(x) for x in layers])
    assert desc.digest == spooled.digest
    assert archive.compressed == 2
    assert list(layout.tmp_dir.iterdir()) == []


def test_a_wrong_hint_still_reuses_what_the_store_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout.create(tmp_path)
    same = layer_tar(b"same" * 3000)
    _, first = read_into(layout, legacy_save([same]))
    must_not_spool(monkeypatch)
    # an empty hint says "all new": the layer, twice in the image, is already stored
    archive, again = read_fresh(layout, legacy_save([same, same]), [])
    assert archive.compressed == 0  # gzipped on the way, then dropped, not committed
    layer_digests = {x["digest"] for x in layout.read_json(again.digest)["layers"]}
    assert layer_digests == {layout.read_json(first.digest)["layers"][0]["digest"]}
    assert list(layout.tmp_dir.iterdir()) == []


def test_a_hint_naming_a_stored_layer_spools(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    base = layer_tar(b"base" * 1000)
    read_into(layout, legacy_save([base]))
    top = layer_tar(b"top")
    archive, _ = read_fresh(layout, legacy_save([base, top]), [sha(base), sha(top)])
    assert archive.compressed == 1  # the base reused, found by its diff_id after spooling
