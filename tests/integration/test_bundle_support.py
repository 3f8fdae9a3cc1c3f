"""Helpers for the bundle tests (no tests here): synthetic app versions written straight
into a store with Layout and named with Market.register, and store checks."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sealift.market.catalog import AppVersion, Market
from sealift.market.publish import write_app_index
from sealift.model.load import parse_model_text
from sealift.model.normal import to_json, with_images
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout


def layer(layout: Layout, data: bytes) -> Descriptor:
    return Descriptor(media.OCI_LAYER_GZIP, layout.put_bytes(data), len(data))


def image(layout: Layout, layers: list[bytes], arch: str = "amd64") -> Descriptor:
    """An OCI image manifest with these layer blobs and a config for linux/`arch`."""
    config = {
        "architecture": arch,
        "os": "linux",
        "rootfs": {
            "type": "layers",
            "diff_ids": ["sha256:" + hashlib.sha256(d).hexdigest() for d in layers],
        },
        "config": {},
    }
    config_desc = layout.put_json(config, media.OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": media.OCI_MANIFEST,
        "config": config_desc.to_json(),
        "layers": [layer(layout, d).to_json() for d in layers],
    }
    return layout.put_json(manifest, media.OCI_MANIFEST)


def multi_image(layout: Layout, per_arch: dict[str, list[bytes]]) -> Descriptor:
    """A multi-platform OCI index over one image per architecture."""
    entries = []
    for arch, layers in per_arch.items():
        desc = image(layout, layers, arch)
        entries.append(
            Descriptor(
                desc.media_type, desc.digest, desc.size, platform=Platform("linux", arch)
            ).to_json()
        )
    return layout.put_json(
        {"schemaVersion": 2, "mediaType": media.OCI_INDEX, "manifests": entries}, media.OCI_INDEX
    )


def publish_synthetic(
    market: Market,
    name: str,
    version: str,
    components: dict[str, Descriptor],
    edit_model: Callable[[dict[str, Any]], None] | None = None,
) -> AppVersion:
    """Write an app version index over `components` and register it. `edit_model` changes
    the stored model first; the version is then named in index.json without the market's
    checks (as a damaged or hostile store would have it)."""
    layout = market.layout
    lines = [f"schema: sealift/v1\nname: {name}\nversion: {version}\ncomponents:"]
    lines += [f"  {c}:\n    image: example.com/{name}/{c}:{version}" for c in components]
    model = parse_model_text("\n".join(lines) + "\n", "test")
    model = with_images(
        model, {c: f"example.com/{name}/{c}:{version}@{d.digest}" for c, d in components.items()}
    )
    model_json = to_json(model)
    if edit_model is not None:
        edit_model(model_json)
    index = write_app_index(market.layout, model_json, components)
    if edit_model is None:
        return market.register(index)
    with layout.editing_entries() as named:
        named.append(index.with_annotations({media.REF_NAME: f"{name}:{version}"}))
    return market.get(name, version)


def shop_store(home: Path, *, seed: int = 1, layer_kib: int = 64) -> Market:
    """`shop:1.0.0` (web: amd64+arm64 index, api, db sharing a base layer) and `shop:1.1.0`
    (only api changed): a few hundred KiB in all."""
    rng = random.Random(seed)

    def blob(kib: int = layer_kib) -> bytes:
        return rng.randbytes(kib * 1024)

    market = Market(home / "store")
    layout = market.layout
    base = blob()
    web = multi_image(layout, {"amd64": [base, blob()], "arm64": [blob(), blob()]})
    db = multi_image(layout, {"amd64": [base, blob()], "arm64": [blob(), blob()]})
    api_v1 = image(layout, [base, blob()])
    api_v2 = image(layout, [base, blob(), blob(16)])
    publish_synthetic(market, "shop", "1.0.0", {"web": web, "api": api_v1, "db": db})
    publish_synthetic(market, "shop", "1.1.0", {"web": web, "api": api_v2, "db": db})
    return market


def store_snapshot(home: Path) -> dict[str, str]:
    """Every file under the store (except lock/tmp) with its sha256: equal means unchanged."""
    root = home / "store"
    out: dict[str, str] = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel.startswith(".sealift"):
                continue
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def check_store_sound(home: Path) -> None:
    """Every blob matches its digest and every reference in index.json resolves."""
    layout = Layout.open(home / "store")
    for digest in layout.blob_digests():
        data = layout.blob_path(digest).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest, digest
    for entry in layout.entries():
        for desc in layout.walk(entry):
            assert layout.has_blob(desc.digest), f"{desc.digest} unreachable"
