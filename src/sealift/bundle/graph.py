"""The blobs an app version reaches, read from the store or from documents made in
memory (a rewritten index after platform filtering), sorted into JSON and layers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sealift.bundle.manifest import BlobEntry
from sealift.formats import canonical_json
from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout, children_of, is_container, walk_graph


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
        """Every blob reachable from `roots`, each once: JSON documents (indexes, manifests,
        configs) first, then layers, each in the order of the walk."""
        configs: set[str] = set()

        def children(desc: Descriptor) -> list[Descriptor]:
            doc = self.read(desc)
            config = doc.get("config") if isinstance(doc, dict) else None
            if desc.media_type not in media.INDEX_TYPES and isinstance(config, dict):
                configs.add(str(config.get("digest")))
            return children_of(desc, doc)

        docs: list[BlobEntry] = []
        layers: list[BlobEntry] = []
        for desc in walk_graph(roots, children):
            if is_container(desc) or desc.digest in configs:
                docs.append(BlobEntry(desc.digest, desc.size, "json"))
            else:
                layers.append(BlobEntry(desc.digest, desc.size, "layer"))
        return docs + layers
