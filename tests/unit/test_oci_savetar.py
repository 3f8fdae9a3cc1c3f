"""The `docker save` stream parser on synthetic legacy archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from sealift.errors import CorruptBlobError, EngineError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.oci.savetar import IterStream, build_manifest, read_save_stream
from sealift.progress import NO_PROGRESS


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
    for entry, raw in zip(doc["layers"], layers, strict=True):
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
