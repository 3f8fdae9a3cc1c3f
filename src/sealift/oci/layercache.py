"""Which gzip blob in the store holds a given uncompressed layer (its diff_id).

Two sources, merged: the images named in index.json (each manifest's `layers[i]` is
the compressed `rootfs.diff_ids[i]` of its config; small JSON, read at every copy),
and `.sealift-diffids.json`, where sealift notes every layer it compresses. The file
is needed because a publish names its images in index.json only at its end: the
second component of an app must find the base layers the first one just stored.
It is a hint, never trusted alone: an entry counts only while its blob is in the
store with the recorded size. Lost updates (two writers at once) only cost a reuse.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sealift.errors import SealiftError
from sealift.files import atomic_write
from sealift.formats import canonical_json
from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import is_digest
from sealift.oci.layout import Layout

CACHE_FILE = ".sealift-diffids.json"
GZIP_LAYER_TYPES = frozenset({media.OCI_LAYER_GZIP, media.DOCKER_LAYER_GZIP})


@dataclass(frozen=True)
class StoredLayer:
    digest: str  # of the gzip blob in the store
    size: int
    diff_id: str  # sha256 of the uncompressed tar


class LayerIndex:
    """diff_id -> gzip blob, for reusing layers the store already holds."""

    def __init__(self, layout: Layout, entries: dict[str, tuple[str, int]]) -> None:
        self._layout = layout
        self._entries = entries
        self._new: dict[str, tuple[str, int]] = {}

    @classmethod
    def load(cls, layout: Layout) -> LayerIndex:
        entries = read_cache(layout)
        entries.update(scan_store(layout))
        return cls(layout, entries)

    def find(self, diff_id: str) -> StoredLayer | None:
        """The stored gzip blob of `diff_id`, if the store really has it."""
        entry = self._entries.get(diff_id)
        if entry is None or not _present(self._layout, *entry):
            return None
        return StoredLayer(entry[0], entry[1], diff_id)

    def remember(self, layer: StoredLayer) -> None:
        self._entries[layer.diff_id] = self._new[layer.diff_id] = (layer.digest, layer.size)

    def save(self) -> None:
        """Add what was remembered to the cache file (atomically), dropping dead entries."""
        if not self._new:
            return
        merged = {**read_cache(self._layout), **self._new}
        live = {d: e for d, e in sorted(merged.items()) if _present(self._layout, *e)}
        doc = {"version": 1, "layers": {d: {"digest": e[0], "size": e[1]} for d, e in live.items()}}
        # The cache only saves work: failing to write it (full disk) must not fail the copy.
        with contextlib.suppress(OSError, SealiftError):
            atomic_write(
                self._layout.root / CACHE_FILE, canonical_json(doc), tmp_dir=self._layout.tmp_dir
            )
        self._new.clear()


def read_cache(layout: Layout) -> dict[str, tuple[str, int]]:
    try:
        doc = json.loads((layout.root / CACHE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, dict):
        return {}
    out: dict[str, tuple[str, int]] = {}
    for diff_id, entry in layers.items():
        if isinstance(entry, dict) and _valid(entry.get("digest"), entry.get("size")):
            out[str(diff_id)] = (str(entry["digest"]), int(entry["size"]))
    return out


def scan_store(layout: Layout) -> dict[str, tuple[str, int]]:
    """diff_id -> gzip layer of every image manifest index.json reaches."""
    out: dict[str, tuple[str, int]] = {}
    for manifest in _image_manifests(layout):
        with contextlib.suppress(SealiftError, KeyError, TypeError, ValueError):
            out.update(_layers_by_diff_id(layout, layout.read_json(manifest.digest)))
    return out


def _image_manifests(layout: Layout) -> Iterator[Descriptor]:
    try:
        entries = layout.entries()
    except SealiftError:
        return
    seen: set[str] = set()
    for entry in entries:
        with contextlib.suppress(SealiftError, KeyError, TypeError, ValueError):
            for desc in layout.walk(entry):
                if desc.media_type in media.MANIFEST_TYPES and desc.digest not in seen:
                    seen.add(desc.digest)
                    yield desc


def _layers_by_diff_id(layout: Layout, manifest: Any) -> dict[str, tuple[str, int]]:
    config = manifest.get("config") or {}
    if not isinstance(config, dict) or not layout.has_blob(str(config.get("digest", ""))):
        return {}
    diff_ids = (layout.read_json(config["digest"]).get("rootfs") or {}).get("diff_ids") or []
    layers = manifest.get("layers") or []
    if len(diff_ids) != len(layers):
        return {}
    return {
        str(diff_id): (str(layer["digest"]), int(layer["size"]))
        for diff_id, layer in zip(diff_ids, layers)
        if layer.get("mediaType") in GZIP_LAYER_TYPES and _valid(layer.get("digest"), 0)
    }


def _valid(digest: Any, size: Any) -> bool:
    return isinstance(digest, str) and is_digest(digest) and isinstance(size, int) and size >= 0


def _present(layout: Layout, digest: str, size: int) -> bool:
    try:
        return layout.blob_path(digest).stat().st_size == size
    except (OSError, SealiftError):
        return False
