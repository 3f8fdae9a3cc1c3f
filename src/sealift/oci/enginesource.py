"""Images from the local Docker engine: finding one and reading it through
`image.save()`, streamed, never buffered whole. The engine is reached through the door
in oci/engine.py, which translates every error.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import docker.errors
from docker.models.images import Image

from sealift.errors import NotFoundError
from sealift.oci.descriptor import Platform
from sealift.oci.engine import EngineClient, engine_errors
from sealift.oci.graph import Copied
from sealift.oci.layercache import LayerIndex
from sealift.oci.layout import Layout
from sealift.oci.platforms import check_single
from sealift.oci.savetar import (
    CHUNK,
    IterStream,
    build_manifest,
    manifest_from_store,
    read_save_stream,
)
from sealift.progress import Progress


def find_image(client: EngineClient, name: str) -> Image | None:
    """The engine's image named `name`, or None if it has none."""
    with engine_errors(f"looking up {name}"):
        try:
            return client.images.get(name)
        except docker.errors.ImageNotFound:
            return None


def copy_from_engine(
    layout: Layout,
    name: str,
    client: EngineClient,
    *,
    platforms: Sequence[Platform],
    progress: Progress,
) -> Copied:
    """Copy the engine's image `name` into `layout` as a gzip-layered OCI image.

    Layers the store already holds (same diff_id) are reused, not compressed again; if
    it holds them all and the image's config too, the image is not even read.
    """
    with engine_errors(name):
        image = _get_image(client, name)
        check_single(name, _platform_of(image), platforms)
        known = LayerIndex.load(layout)
        stored = manifest_from_store(layout, str(image.id), known, name)
        if stored is None:
            stream = io.BufferedReader(IterStream(image.save(chunk_size=CHUNK, named=False)), CHUNK)
            diff_ids = _diff_ids(image)
            archive = read_save_stream(stream, layout, progress, name, known, diff_ids)
    descriptor, platform = stored or build_manifest(archive, layout, name)
    return Copied(descriptor, [platform])


def _get_image(client: EngineClient, name: str) -> Image:
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound as exc:
        raise NotFoundError(
            f"{name}: no such image in the Docker engine; "
            "build or pull it first, or publish it from a registry"
        ) from exc


def _diff_ids(image: Image) -> list[str] | None:
    """The image's layers as the engine lists them (a hint: the stream is checked)."""
    layers = (image.attrs.get("RootFS") or {}).get("Layers")
    return [str(d) for d in layers] if isinstance(layers, list) else None


def _platform_of(image: Image) -> Platform:
    attrs = image.attrs
    return Platform(
        str(attrs.get("Os", "")),
        str(attrs.get("Architecture", "")),
        str(attrs.get("Variant") or ""),
    )
