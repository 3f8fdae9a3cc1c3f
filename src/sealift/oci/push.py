"""Copying images from a layout into a registry, by digest: blobs the registry has are
skipped (so a re-run after an interruption resumes), blobs another repository of the
same registry got in this run are mounted, manifests go before the index that names
them and the tag goes last."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sealift.formats import canonical_json
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout
from sealift.oci.platforms import check_single, platform_of_config, select
from sealift.oci.reference import parse_reference
from sealift.oci.registrywrite import RegistryWriter
from sealift.oci.transfer import label, manifest_blobs
from sealift.progress import Progress

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Destination:
    insecure: bool = False
    ca_cert: Path | None = None
    docker_config: Path | None = None


@dataclass
class PushCount:
    uploaded: int = 0
    uploaded_bytes: int = 0
    mounted: int = 0
    skipped: int = 0
    images: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Manifest:
    """A manifest or index to put, with its bytes."""

    media_type: str
    digest: str
    data: bytes


class Pusher:
    """Pushes images of one layout into registries, counting what it sends."""

    def __init__(self, layout: Layout, destination: Destination, progress: Progress) -> None:
        self.layout = layout
        self.destination = destination
        self.progress = progress
        self.count = PushCount()
        self._where: dict[str, str] = {}  # blob digest -> a repository that has it (host/path)

    def push(self, target: str, top: Descriptor, wanted: Sequence[Platform]) -> None:
        """Push image `top` as `target` (`host/path:tag`), narrowed to `wanted` platforms."""
        ref = parse_reference(target)
        insecure = [ref.api_host] if self.destination.insecure else []
        with RegistryWriter(
            ref,
            insecure=insecure,
            docker_config=self.destination.docker_config,
            ca_cert=self.destination.ca_cert,
        ) as writer:
            manifests = self._manifests(target, top, wanted)
            for manifest in manifests[:-1]:
                self._put_manifest(writer, manifest, manifest.digest)
            self._put_manifest(writer, manifests[-1], ref.tag)
        self.count.images.append(f"{target}@{manifests[-1].digest}")

    def _manifests(
        self, image: str, top: Descriptor, wanted: Sequence[Platform]
    ) -> list[_Manifest]:
        """The image manifests to put, then the one to tag (an index or a manifest)."""
        if top.media_type not in media.INDEX_TYPES:
            manifest = self._read(top)
            if wanted:
                config = manifest_blobs(json.loads(manifest.data))[0]
                platform = platform_of_config(self.layout.read_json(config.digest))
                check_single(image, platform, wanted)
            return [manifest]
        entries = self.layout.children(top)
        kept = select(image, entries, wanted) if wanted else entries
        children = [self._read(e) for e in kept]
        if kept == entries:
            return [*children, self._read(top)]
        if len(kept) == 1:
            return children
        doc = {"schemaVersion": 2, "mediaType": media.OCI_INDEX}
        data = canonical_json({**doc, "manifests": [e.to_json() for e in kept]})
        return [*children, _Manifest(media.OCI_INDEX, digest_bytes(data), data)]

    def _read(self, desc: Descriptor) -> _Manifest:
        return _Manifest(desc.media_type, desc.digest, self.layout.read_small(desc.digest))

    def _put_manifest(self, writer: RegistryWriter, manifest: _Manifest, reference: str) -> None:
        if writer.manifest_digest(reference) == manifest.digest:
            self.count.skipped += 1
            return
        if manifest.media_type in media.MANIFEST_TYPES:
            for blob in manifest_blobs(json.loads(manifest.data)):
                self._blob(writer, blob)
        writer.put_manifest(reference, manifest.data, manifest.media_type)

    def _blob(self, writer: RegistryWriter, desc: Descriptor) -> None:
        here = f"{writer.host}/{writer.ref.path}"
        if writer.has_blob(desc.digest):
            self.count.skipped += 1
        else:
            self._send(writer, desc)
        self._where.setdefault(desc.digest, here)

    def _send(self, writer: RegistryWriter, desc: Descriptor) -> None:
        source = self._where.get(desc.digest, "")
        host, _, path = source.partition("/")
        location = writer.start_upload(desc.digest, path if host == writer.host else None)
        if location is None:
            self.count.mounted += 1
            return
        self.progress.begin(label(writer.ref.text, desc), desc.size)
        try:
            writer.finish_upload(location, desc.digest, desc.size, self._chunks(desc))
        finally:
            self.progress.end()
        self.count.uploaded += 1
        self.count.uploaded_bytes += desc.size

    def _chunks(self, desc: Descriptor) -> Iterator[bytes]:
        for chunk in self.layout.iter_blob(desc.digest, CHUNK):
            self.progress.advance(len(chunk))
            yield chunk
