"""Reading a `docker save` stream once, front to back, with bounded memory.

Two layouts exist. Engines < 25 write the legacy one (`<id>/layer.tar`, `<id>.json`
config, `manifest.json` last); engines >= 25 write an OCI layout (`blobs/sha256/*`,
`index.json`) with the same `manifest.json` beside it. Both are read the same way:
small JSON members are kept in memory, layers go to a `LayerSink` (spooled, then
reused or gzipped in the background; their path remembered), and the image manifest
is built at the end.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from sealift.errors import CorruptBlobError, EngineError
from sealift.oci import media
from sealift.oci.compress import BLOCK, gzip_bytes
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.digest import digest_bytes, is_digest
from sealift.oci.layercache import LayerIndex, StoredLayer
from sealift.oci.layout import MAX_JSON, Layout
from sealift.oci.platforms import platform_of_config
from sealift.oci.spool import LayerSink
from sealift.progress import Progress

CHUNK = 1024 * 1024


class IterStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (e.g. docker-py's `image.save()`)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]  # a view: no copy of the rest
        return count


class ForwardFile:
    """A stream that tarfile may read in its random-access mode ("r:"): `tell`, and `seek`
    forward only (skipping), which is all tarfile does when members are read in order.
    Its stream mode ("r|") copies every byte three times more; it costs a core at the
    engine's rate."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("this stream is read-only")

    def close(self) -> None:
        """The caller closes the stream it gave."""

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET or offset < self._position:
            raise io.UnsupportedOperation("this stream is read once, front to back")
        while self._position < offset and self.read(min(CHUNK, offset - self._position)):
            pass
        return self._position


@dataclass
class SaveArchive:
    small: dict[str, bytes] = field(default_factory=dict)
    layers: dict[str, StoredLayer] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    compressed: int = 0  # layers gzipped while reading (the others were in the store)

    def resolve(self, path: str) -> str:
        for _ in range(16):
            if path not in self.links:
                break
            path = self.links[path]
        return path


def read_save_stream(
    stream: IO[bytes],
    layout: Layout,
    progress: Progress,
    image: str,
    known: LayerIndex | None = None,
    diff_ids: Sequence[str] | None = None,
) -> SaveArchive:
    """Read every member once: JSON kept, layers stored in `layout` as gzip blobs.

    Layers the store already holds (by diff_id, see `LayerIndex`) are reused; the others
    are compressed in the background while the stream is read on. `diff_ids`, the
    image's layers as the engine describes it: when none is in the store, every layer is
    compressed as it is read (faster; see spool.py).
    """
    archive = SaveArchive()
    known = known or LayerIndex.load(layout)
    fresh = diff_ids is not None and all_new(diff_ids, known)
    with LayerSink(layout, known, progress, fresh=fresh) as sink:
        with tarfile.open(fileobj=ForwardFile(stream), mode="r:") as tar:
            for member in tar:
                _read_member(tar, member, archive, sink, image)
        archive.layers = sink.layers()
        archive.compressed = sink.compressed
    return archive


def all_new(diff_ids: Sequence[str], known: LayerIndex) -> bool:
    """Whether none of `diff_ids` is in the store and none comes twice."""
    return len(set(diff_ids)) == len(diff_ids) and all(known.find(d) is None for d in diff_ids)


def _read_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    archive: SaveArchive,
    sink: LayerSink,
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
    first = fileobj.read(BLOCK)  # layers are read in the gzip format's blocks: no copy
    maybe_layer = name.endswith("layer.tar") or name.startswith("blobs/")
    if maybe_layer and not (first.startswith(b"{") and member.size <= MAX_JSON):
        label = f"{image} {posixpath.basename(posixpath.dirname(name)) or name}"[:80]
        sink.add(name, _prepend(first, fileobj), member.size, label)
    elif member.size <= MAX_JSON:
        archive.small[name] = first + fileobj.read()


def _prepend(first: bytes, fileobj: IO[bytes]) -> Iterator[bytes]:
    yield first
    while chunk := fileobj.read(BLOCK):
        yield chunk


def store_small_layer(layout: Layout, data: bytes) -> StoredLayer:
    """Store a layer held in memory (a tiny one) gzipped, in the same format."""
    blob = gzip_bytes(data)
    return StoredLayer(layout.put_bytes(blob), len(blob), digest_bytes(data))


# -- building the image manifest ---------------------------------------------------


def build_manifest(archive: SaveArchive, layout: Layout, image: str) -> tuple[Descriptor, Platform]:
    """Store the config and an OCI manifest for the saved image; return it and its platform."""
    entry = _manifest_entry(archive, image)
    config_bytes = _small(archive, str(entry.get("Config", "")), image)
    layers = [_layer(archive, str(path), layout, image) for path in entry.get("Layers") or []]
    return write_manifest(layout, config_bytes, layers, image)


def write_manifest(
    layout: Layout, config_bytes: bytes, layers: list[StoredLayer], image: str
) -> tuple[Descriptor, Platform]:
    """Store `config_bytes` as-is and an OCI manifest of it and `layers` (checked against
    the config's diff_ids); return the manifest and its platform."""
    config = _json(config_bytes, image)
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


def manifest_from_store(
    layout: Layout, config_digest: str, known: LayerIndex, image: str
) -> tuple[Descriptor, Platform] | None:
    """The manifest for config `config_digest` when the store already has that config and
    a gzip blob of every layer it names (republishing: nothing to read or compress)."""
    if not is_digest(config_digest) or not layout.has_blob(config_digest):
        return None
    with layout.open_blob(config_digest) as f:
        config_bytes = f.read(MAX_JSON + 1)
    if len(config_bytes) > MAX_JSON or digest_bytes(config_bytes) != config_digest:
        return None
    try:
        rootfs = json.loads(config_bytes).get("rootfs") or {}
        diff_ids = [str(d) for d in rootfs.get("diff_ids") or []]
    except (ValueError, AttributeError):
        return None
    layers = [known.find(diff_id) for diff_id in diff_ids]
    if not diff_ids or any(layer is None for layer in layers):
        return None
    return write_manifest(layout, config_bytes, [x for x in layers if x is not None], image)


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
        return store_small_layer(layout, archive.small[path])
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
