"""Copying blobs into a layout: verified, skipped when present, with progress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import Layout
from sealift.progress import Progress

StreamOpener = Callable[[Descriptor], AbstractContextManager[Iterable[bytes]]]


def store_blob(
    layout: Layout, desc: Descriptor, chunks: Iterable[bytes], progress: Progress, label: str
) -> None:
    """Write `chunks` as blob `desc` (digest and size verified on commit)."""
    progress.begin(label, desc.size)
    try:
        with layout.writer(desc.digest, desc.size) as writer:
            for chunk in chunks:
                writer.write(chunk)
                progress.advance(len(chunk))
            writer.commit()
    finally:
        progress.end()


def copy_blobs(
    layout: Layout,
    blobs: Iterable[Descriptor],
    open_stream: StreamOpener,
    progress: Progress,
    image: str,
) -> None:
    """Copy each blob not yet in `layout` from the stream `open_stream` gives for it."""
    for desc in blobs:
        if layout.has_blob(desc.digest):
            continue
        with open_stream(desc) as chunks:
            store_blob(layout, desc, chunks, progress, label(image, desc))


def label(image: str, desc: Descriptor) -> str:
    return f"{image} {desc.digest[7:19]}"


def manifest_blobs(doc: Any) -> list[Descriptor]:
    """Config and layers of an image manifest."""
    if not isinstance(doc, dict):
        return []
    out = [Descriptor.from_json(doc["config"])] if isinstance(doc.get("config"), dict) else []
    return out + [Descriptor.from_json(layer) for layer in doc.get("layers") or []]
