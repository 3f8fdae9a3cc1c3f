"""Reading a `docker save` stream once, front to back, with bounded memory.

Two layouts exist. Engines < 25 write the legacy one (`<id>/layer.tar`, `<id>.json`
config, `manifest.json` last); engines >= 25 write an OCI layout (`blobs/sha256/*`,
`index.json`) with the same `manifest.json` beside it. Both are read the same way:
small JSON members are kept in memory, layers are compressed into the store as they
pass (their path remembered), and the image manifest is built at the end.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sealift.errors import CorruptBlobError, EngineError
from sealift.oci import media
from sealift.oci.blobwriter import BlobWriter
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import MAX_JSON, Layout
from sealift.oci.platforms import platform_of_config
from sealift.progress import NO_PROGRESS, Progress

CHUNK = 1024 * 1024
GZIP_LEVEL = 6
"""Fixed so the same layer always compresses to the same bytes (and digest)."""
GZIP_MAGIC = b"\x1f\x8b"


class IterStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (e.g. docker-py's `image.save()`)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


@dataclass(frozen=True)
class StoredLayer:
    digest: str  # of the gzip blob in the store
    size: int
    diff_id: str  # sha256 of the uncompressed tar


@dataclass
class SaveArchive:
    small: dict[str, bytes] = field(default_factory=dict)
    layers: dict[str, StoredLayer] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def resolve(self, path: str) -> str:
        for _ in range(16):
            if path not in self.links:
                break
            path = self.links[path]
        return path


def read_save_stream(
    stream: IO[bytes], layout: Layout, progress: Progress, image: str
) -> SaveArchive:
    """Read every member once: JSON kept, layers compressed into `layout`."""
    archive = SaveArchive()
    with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as tar:
        for member in tar:
            _read_member(tar, member, archive, layout, progress, image)
    return archive


def _read_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    archive: SaveArchive,
    layout: Layout,
    progress: Progress,
    image: str,
) -> None:
    name = posixpath.normpath(member.name)
    if member.issym() or member.islnk():
        base = posixpath.dirname(name) if member.issym() else ""
        archive.links[name] = posixpath.normpath(posixpath.join(base, member.linkname))
        return
    fileobj = tar.extractfile(member) if member.isfile() else None
    if fileobj is None:
        return
    first = fileobj.read(CHUNK)
    maybe_layer = name.endswith("layer.tar") or name.startswith("blobs/")
    if maybe_layer and not (first.startswith(b"{") and member.size <= MAX_JSON):
        label = f"{image} {posixpath.basename(posixpath.dirname(name)) or name}"[:80]
        archive.layers[name] = store_layer(
            layout, _prepend(first, fileobj), member.size, progress, label
        )
    elif member.size <= MAX_JSON:
        archive.small[name] = first + fileobj.read()


def _prepend(first: bytes, fileobj: IO[bytes]) -> Iterator[bytes]:
    yield first
    while chunk := fileobj.read(CHUNK):
        yield chunk


def store_layer(
    layout: Layout, chunks: Iterable[bytes], total: int | None, progress: Progress, label: str
) -> StoredLayer:
    """Store a layer gzip-compressed (as-is if it already is) and compute its diff_id."""
    progress.begin(label, total)
    try:
        with layout.writer() as writer:
            diff_id = _write_gzip(chunks, writer, progress)
            digest = writer.commit()
            return StoredLayer(digest, writer.size, diff_id)
    finally:
        progress.end()


def _write_gzip(chunks: Iterable[bytes], writer: BlobWriter, progress: Progress) -> str:
    """Write `chunks` gzipped into `writer`; return sha256 of the uncompressed data."""
    raw = hashlib.sha256()
    iterator = iter(chunks)
    first = next(iterator, b"")
    if first.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        for chunk in _chain(first, iterator):
            writer.write(chunk)
            raw.update(inflater.decompress(chunk))
            progress.advance(len(chunk))
        raw.update(inflater.flush())
    else:
        deflater = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        for chunk in _chain(first, iterator):
            raw.update(chunk)
            writer.write(deflater.compress(chunk))
            progress.advance(len(chunk))
        writer.write(deflater.flush())
    return "sha256:" + raw.hexdigest()


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


# -- building the image manifest ---------------------------------------------------


def build_manifest(archive: SaveArchive, layout: Layout, image: str) -> tuple[Descriptor, Platform]:
    """Store the config and an OCI manifest for the saved image; return it and its platform."""
    entry = _manifest_entry(archive, image)
    config_bytes = _small(archive, str(entry.get("Config", "")), image)
    config = _json(config_bytes, image)
    layers = [_layer(archive, str(path), layout, image) for path in entry.get("Layers") or []]
    _check_diff_ids(config, layers, image)
    config_desc = Descriptor(media.OCI_CONFIG, layout.put_bytes(config_bytes), len(config_bytes))
    doc = {
        "schemaVersion": 2,
        "mediaType": media.OCI_MANIFEST,
        "config": config_desc.to_json(),
        "layers": [
            Descriptor(media.OCI_LAYER_GZIP, layer.digest, layer.size).to_json() for layer in layers
        ],
    }
    platform = platform_of_config(config)
    manifest = layout.put_json(doc, media.OCI_MANIFEST)
    return Descriptor(
        manifest.media_type, manifest.digest, manifest.size, platform=platform
    ), platform


def _manifest_entry(archive: SaveArchive, image: str) -> dict[str, Any]:
    doc = _json(_small(archive, "manifest.json", image), image)
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise EngineError(f"{image}: the engine's image archive has an empty manifest.json")
    return doc[0]


def _layer(archive: SaveArchive, path: str, layout: Layout, image: str) -> StoredLayer:
    path = archive.resolve(posixpath.normpath(path))
    if path in archive.layers:
        return archive.layers[path]
    if path in archive.small:  # a tiny layer that looked like JSON
        data = archive.small[path]
        return store_layer(layout, [data], len(data), NO_PROGRESS, image)
    raise EngineError(f"{image}: the engine's image archive lacks layer {path}")


def _check_diff_ids(config: Any, layers: list[StoredLayer], image: str) -> None:
    rootfs = config.get("rootfs") if isinstance(config, dict) else None
    expected = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    actual = [layer.diff_id for layer in layers]
    if expected != actual:
        raise CorruptBlobError(
            f"{image}: the layers the engine sent do not match the image "
            f"config's diff_ids ({len(actual)} layers, expected "
            f"{len(expected or [])}); the engine's image may be damaged"
        )


def _small(archive: SaveArchive, path: str, image: str) -> bytes:
    data = archive.small.get(archive.resolve(posixpath.normpath(path)))
    if data is None:
        raise EngineError(f"{image}: the engine's image archive lacks {path}")
    return data


def _json(data: bytes, image: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise EngineError(f"{image}: the engine's image archive holds bad JSON: {exc}") from None
