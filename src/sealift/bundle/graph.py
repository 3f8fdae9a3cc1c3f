"""The blobs an app version reaches, read from the store or from documents made in
memory (a rewritten index after platform filtering), sorted into JSON and layers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sealift.bundle.manifest import BlobEntry
from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout, canonical_json, children_of, is_container


@dataclass
class Graph:
    """Reads JSON documents from `extra` (digest -> bytes) first, then the store."""

    layout: Layout
    extra: dict[str, bytes] = field(default_factory=dict)

    def read(self, desc: Descriptor) -> Any:
        if desc.digest in self.extra:
            return json.loads(self.extra[desc.digest])
        return self.layout.read_json(desc.digest)

    def add(self, doc: Any, like: Descriptor) -> Descriptor:
        """Keep a new document in memory; return its descriptor (annotations of `like`)."""
        data = canonical_json(doc)
        desc = Descriptor(
            like.media_type,
            digest_bytes(data),
            len(data),
            dict(like.annotations),
            like.platform,
            like.artifact_type,
        )
        self.extra[desc.digest] = data
        return desc

    def children(self, desc: Descriptor) -> list[Descriptor]:
        return children_of(desc, self.read(desc))

    def entries(self, roots: list[Descriptor]) -> list[BlobEntry]:
        """Every blob reachable from `roots`, each once: JSON documents first, then layers."""
        seen: set[str] = set()
        docs: list[BlobEntry] = []
        layers: list[BlobEntry] = []
        stack = list(reversed(roots))
        while stack:
            desc = stack.pop()
            if desc.digest in seen:
                continue
            seen.add(desc.digest)
            if is_container(desc):
                docs.append(BlobEntry(desc.digest, desc.size, "json"))
                stack.extend(reversed(self._children_with_kind(desc, docs, layers, seen)))
        return docs + layers

    def _children_with_kind(
        self, desc: Descriptor, docs: list[BlobEntry], layers: list[BlobEntry], seen: set[str]
    ) -> list[Descriptor]:
        """Record a manifest's config and layers; return the children still to walk."""
        doc = self.read(desc)
        if desc.media_type in media.INDEX_TYPES:
            return children_of(desc, doc)
        config = doc.get("config") if isinstance(doc, dict) else None
        if isinstance(config, dict):
            _record(Descriptor.from_json(config), "json", docs, seen)
        for layer in doc.get("layers", []):
            _record(Descriptor.from_json(layer), "layer", layers, seen)
        return []


def _record(desc: Descriptor, kind: str, out: list[BlobEntry], seen: set[str]) -> None:
    if desc.digest not in seen:
        seen.add(desc.digest)
        out.append(BlobEntry(desc.digest, desc.size, kind))
