"""Copying an image from a registry into a layout."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.graph import Copied, copy_graph
from sealift.oci.layout import Layout
from sealift.oci.reference import ImageReference
from sealift.oci.registry import RegistryClient
from sealift.progress import Progress


def copy_from_registry(
    layout: Layout,
    ref: ImageReference,
    *,
    platforms: Sequence[Platform],
    insecure: Sequence[str],
    docker_config: Path | None,
    progress: Progress,
    transport: httpx.BaseTransport | None = None,
) -> Copied:
    with RegistryClient(
        ref, insecure=insecure, docker_config=docker_config, transport=transport
    ) as client:
        raw = client.manifest(ref.reference)
        layout.put_bytes(raw.data, raw.digest)
        top = Descriptor(raw.media_type, raw.digest, len(raw.data))
        return copy_graph(
            layout, top, _RegistryBlobs(client), wanted=platforms, progress=progress, image=ref.text
        )


class _RegistryBlobs:
    """Manifests from the manifests endpoint, everything else from the blobs endpoint."""

    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def open(self, desc: Descriptor) -> AbstractContextManager[Iterable[bytes]]:
        if desc.media_type in media.INDEX_TYPES or desc.media_type in media.MANIFEST_TYPES:
            return contextlib.nullcontext([self._client.manifest(desc.digest).data])
        return self._client.blob(desc.digest)
