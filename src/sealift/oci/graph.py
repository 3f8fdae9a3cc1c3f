"""Copying an image's graph (index -> manifests -> config and layers) into a layout,
keeping the wanted platforms, from any source that can open a blob by descriptor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.oci.platforms import check_single, narrowed, platform_of_config, select
from sealift.oci.transfer import copy_blobs, manifest_blobs
from sealift.progress import Progress


@dataclass(frozen=True)
class Copied:
    descriptor: Descriptor
    platforms: list[Platform]


class BlobSource(Protocol):
    def open(self, desc: Descriptor) -> AbstractContextManager[Iterable[bytes]]:
        """The chunks of blob `desc` (manifests included)."""


def copy_graph(
    layout: Layout,
    top: Descriptor,
    source: BlobSource,
    *,
    wanted: Sequence[Platform],
    progress: Progress,
    image: str,
) -> Copied:
    """Copy `top` and what it reaches; an index is narrowed to the `wanted` platforms."""
    copy_blobs(layout, [top], source.open, progress, image)
    if top.media_type in media.INDEX_TYPES:
        entries = layout.children(top)
        kept = [
            _copy_manifest(layout, entry, source, progress, image)
            for entry in select(image, entries, wanted)
        ]
        desc = narrowed(layout, top, entries, kept, narrowing=bool(wanted))
        return Copied(desc, [e.platform for e in kept if e.platform is not None])
    desc = _copy_manifest(layout, top, source, progress, image)
    assert desc.platform is not None
    check_single(image, desc.platform, wanted)
    return Copied(desc, [desc.platform])


def _copy_manifest(
    layout: Layout, desc: Descriptor, source: BlobSource, progress: Progress, image: str
) -> Descriptor:
    """Copy an image manifest, its config and its layers; return its OCI descriptor
    (Docker-typed manifests are rewritten with OCI media types) with its platform."""
    copy_blobs(layout, [desc], source.open, progress, image)
    doc = layout.read_json(desc.digest)
    blobs = manifest_blobs(doc)
    copy_blobs(layout, blobs, source.open, progress, image)
    config = layout.read_json(blobs[0].digest) if blobs else {}
    platform = desc.platform or platform_of_config(config)
    if desc.media_type == media.DOCKER_MANIFEST:
        desc = layout.put_json(as_oci_manifest(doc), media.OCI_MANIFEST)
    return Descriptor(desc.media_type, desc.digest, desc.size, desc.annotations, platform)


_DOCKER_TO_OCI = {
    media.DOCKER_MANIFEST: media.OCI_MANIFEST,
    media.DOCKER_CONFIG: media.OCI_CONFIG,
    media.DOCKER_LAYER_GZIP: media.OCI_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar": media.OCI_LAYER_TAR,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": (
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    ),
}


def as_oci_manifest(doc: dict[str, Any]) -> dict[str, Any]:
    """A Docker schema2 manifest with OCI media types (same config and layer blobs), as
    `skopeo copy docker://... oci:...` makes it; OCI layout readers require OCI types."""

    def convert(d: dict[str, Any]) -> dict[str, Any]:
        return {**d, "mediaType": _DOCKER_TO_OCI.get(d.get("mediaType", ""), d["mediaType"])}

    return {
        **doc,
        "mediaType": media.OCI_MANIFEST,
        "config": convert(doc["config"]),
        "layers": [convert(layer) for layer in doc.get("layers") or []],
    }
