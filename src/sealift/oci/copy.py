"""Copying an image into a layout from wherever it is: the local Docker engine, a
registry, an OCI layout directory or archive. The store gets blobs only; naming the
image in index.json is the caller's business."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import EngineError, ImageSourceError
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.engine import EngineClient, connect
from sealift.oci.enginesource import copy_from_engine, find_image
from sealift.oci.graph import Copied
from sealift.oci.layout import Layout
from sealift.oci.ocisource import copy_from_oci_archive, copy_from_oci_dir
from sealift.oci.reference import LayoutReference, parse_source
from sealift.progress import NO_PROGRESS, Progress

SOURCES = ("auto", "engine", "registry")


@dataclass(frozen=True)
class CopiedImage:
    descriptor: Descriptor  # top manifest or index now in the layout (all blobs present)
    platforms: list[Platform]  # platforms kept
    size: int  # total bytes of every blob it reaches
    source: str  # "engine" | "registry" | "oci" | "oci-archive"


def copy_image(
    layout: Layout,
    ref: str,
    *,
    source: str = "auto",
    platforms: Sequence[Platform] = (),
    insecure: Sequence[str] = (),
    docker_config: Path | None = None,
    progress: Progress = NO_PROGRESS,
    engine: EngineClient | None = None,
) -> CopiedImage:
    """Copy image `ref` with every blob it reaches into `layout`.

    `source`: "engine" (local Docker engine only), "registry" (registry only) or "auto"
    (the engine if it is reachable and has the image, else the registry). `oci:` and
    `oci-archive:` references are read from the layout they name whatever `source` is.
    """
    if source not in SOURCES:
        raise ImageSourceError(f"unknown image source {source!r}; use one of {', '.join(SOURCES)}")
    parsed = parse_source(ref)
    if isinstance(parsed, LayoutReference):
        copied = _copy_layout(layout, parsed, platforms, progress)
        return _result(layout, copied, parsed.transport)
    if source != "registry":
        client = _engine_with_image(ref, engine, required=source == "engine")
        if client is not None:
            copied = copy_from_engine(layout, ref, client, platforms=platforms, progress=progress)
            return _result(layout, copied, "engine")
    from sealift.oci.registrysource import copy_from_registry  # httpx: not for the engine

    copied = copy_from_registry(
        layout,
        parsed,
        platforms=platforms,
        insecure=insecure,
        docker_config=docker_config,
        progress=progress,
    )
    return _result(layout, copied, "registry")


def _engine_with_image(
    ref: str, engine: EngineClient | None, *, required: bool
) -> EngineClient | None:
    """The engine client if the engine has `ref`; when `required`, errors instead of None."""
    try:
        client = connect(engine)
    except EngineError:
        if required:
            raise
        return None
    if required or find_image(client, ref) is not None:
        return client
    return None


def _copy_layout(
    layout: Layout, ref: LayoutReference, platforms: Sequence[Platform], progress: Progress
) -> Copied:
    if ref.transport == "oci-archive":
        return copy_from_oci_archive(layout, ref, platforms=platforms, progress=progress)
    return copy_from_oci_dir(layout, ref, platforms=platforms, progress=progress)


def _result(layout: Layout, copied: Copied, source: str) -> CopiedImage:
    size = sum(d.size for d in layout.walk(copied.descriptor))
    return CopiedImage(copied.descriptor, copied.platforms, size, source)
