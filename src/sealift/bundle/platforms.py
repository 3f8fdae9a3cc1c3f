"""Keep only the chosen platforms of every component image.

Filtering changes component descriptors (a multi-platform index loses entries), so
the app version's index is rewritten too: the exported app version then has a new
digest. Its name, version, model and the chosen images are unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol

from sealift.bundle.graph import Graph
from sealift.errors import PlatformError
from sealift.market.format import COMPONENT
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform


def filter_app(graph: Graph, app_index: Descriptor, ref: str, wanted: list[Platform]) -> Descriptor:
    """The app index with every component reduced to `wanted` (unchanged if nothing drops)."""
    doc: dict[str, Any] = graph.read(app_index)
    entries = [Descriptor.from_json(m) for m in doc.get("manifests", [])]
    kept = [
        filter_component(graph, e, ref, wanted) if COMPONENT in e.annotations else e
        for e in entries
    ]
    if [e.digest for e in kept] == [e.digest for e in entries]:
        return app_index
    return graph.add({**doc, "manifests": [e.to_json() for e in kept]}, app_index)


def filter_component(
    graph: Graph, entry: Descriptor, ref: str, wanted: list[Platform]
) -> Descriptor:
    name = entry.annotations.get(COMPONENT, "?")
    available = image_platforms(graph, entry)
    missing = [p for p in wanted if not any(p.matches(a) for a in available)]
    if missing:
        have = ", ".join(str(a) for a in available) or "unknown"
        raise PlatformError(
            f"component {name} of {ref} has no image for {missing[0]} "
            f"(it has {have}); drop --platform {missing[0]} or publish it"
        )
    if entry.media_type not in media.INDEX_TYPES:
        return entry
    doc: dict[str, Any] = graph.read(entry)
    children = [Descriptor.from_json(m) for m in doc.get("manifests", [])]
    keep = [
        c for c in children if c.platform is not None and any(p.matches(c.platform) for p in wanted)
    ]
    if len(keep) == len(children):
        return entry
    return graph.add({**doc, "manifests": [c.to_json() for c in keep]}, entry)


class DocReader(Protocol):
    def read(self, desc: Descriptor) -> Any: ...

    def children(self, desc: Descriptor) -> list[Descriptor]: ...


def image_platforms(graph: DocReader, entry: Descriptor) -> list[Platform]:
    """Platforms of an image: its index entries, or its config's os/architecture."""
    if entry.media_type in media.INDEX_TYPES:
        return [
            c.platform
            for c in graph.children(entry)
            if c.platform is not None and c.platform.os != "unknown"
        ]
    manifest = graph.read(entry)
    config = graph.read(Descriptor.from_json(manifest["config"]))
    if not isinstance(config, dict) or "architecture" not in config:
        return []
    return [Platform.from_json(config)]
