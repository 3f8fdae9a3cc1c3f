"""Flattening an image of the store into a root directory, for a systemd unit's
RootDirectory=.

The layers are applied in order into a temporary directory beside the root, streamed
(gzip is inflated on a second thread, the blob's digest checked on the way), and the
directory is renamed to the root only when every layer is in: a failed or interrupted
flatten leaves no root behind. See unpack.py for what is kept and rootdir.py for how
nothing is written outside the root.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from isal import igzip_threaded

from sealift.errors import (
    AlreadyExistsError,
    DeployError,
    DiskFullError,
    SealiftError,
    StoreError,
    UnsafeImageError,
)
from sealift.files import fsync_dir
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import Layout
from sealift.oci.savetar import ForwardFile
from sealift.progress import NO_PROGRESS, Progress
from sealift.targets.systemd.imageconfig import RootImage, root_image
from sealift.targets.systemd.rootdir import Refused, RootDir
from sealift.targets.systemd.unpack import Unpacker

__all__ = ["RootImage", "flatten_image", "image_config", "layers_size"]

CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def flatten_image(
    layout: Layout,
    manifest: Descriptor,
    root: Path,
    progress: Progress = NO_PROGRESS,
    *,
    image: str = "",
) -> RootImage:
    """Apply the layers of image `manifest` (an image manifest, not an index) into the new
    directory `root`, and return what a unit needs from the image's config."""
    label = image or manifest.digest[:19]
    doc = layout.read_json(manifest.digest)
    layers = [Descriptor.from_json(layer) for layer in doc.get("layers", [])]
    if os.path.lexists(root):
        raise AlreadyExistsError(f"{root} exists already; remove it or flatten somewhere else")
    root.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{root.name}.partial-", dir=root.parent))
    try:
        result = _flatten_into(layout, doc, layers, partial, progress, label)
        os.rename(partial, root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    fsync_dir(root.parent)
    return result


def image_config(layout: Layout, manifest: Descriptor, root: Path, *, image: str = "") -> RootImage:
    """The RootImage of `manifest` for the root directory it was flattened into before."""
    label = image or manifest.digest[:19]
    config = layout.read_json(layout.read_json(manifest.digest)["config"]["digest"])
    tree = RootDir(root)
    try:
        return root_image(config, tree, label, [])
    finally:
        tree.close()


def layers_size(layout: Layout, manifest: Descriptor) -> int:
    """The stored (compressed) size of the image's layers: a flattened root takes about
    two to three times as much."""
    layers = layout.read_json(manifest.digest).get("layers", [])
    return sum(Descriptor.from_json(layer).size for layer in layers)


def _flatten_into(
    layout: Layout,
    doc: dict[str, Any],
    layers: list[Descriptor],
    partial: Path,
    progress: Progress,
    label: str,
) -> RootImage:
    config = layout.read_json(doc["config"]["digest"])
    tree = RootDir(partial)
    try:
        unpacker = Unpacker(tree)
        progress.begin(f"flattening {label}", sum(layer.size for layer in layers))
        for number, layer in enumerate(layers, 1):
            _apply_layer(layout, layer, unpacker, progress, f"image {label}: layer {number}")
        with _os_errors(f"image {label}: setting directory times"):
            unpacker.finish()
            _syncfs(tree.root_fd)
        progress.end()
        return root_image(config, tree, label, unpacker.warnings())
    finally:
        tree.close()


def _apply_layer(
    layout: Layout, layer: Descriptor, unpacker: Unpacker, progress: Progress, where: str
) -> None:
    unpacker.begin_layer()
    with _layer_stream(layout, layer, where) as (stream, blob):
        try:
            _apply_entries(ForwardFile(stream), unpacker, progress, blob, where)
            while stream.read(CHUNK):
                pass  # the tar's end padding: the digest covers all of it
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise StoreError(f"{where} ({layer.digest[:19]}) is not a valid tar: {exc}") from None
        progress.advance(blob.take_count())
        blob.check(layer.digest, where)


def _apply_entries(
    source: ForwardFile, unpacker: Unpacker, progress: Progress, blob: _HashingReader, where: str
) -> None:
    """Apply the members one at a time; each is forgotten once applied (a TarFile keeps
    a list of them all otherwise: memory would grow with the count)."""
    try:
        tar = tarfile.open(fileobj=cast(IO[bytes], source), mode="r:", encoding="utf-8")  # noqa: SIM115
    except tarfile.ReadError as exc:
        if str(exc) == "empty file":  # only the end-of-archive blocks: an empty layer
            return
        raise
    with tar:
        while (member := tar.next()) is not None:
            _apply_member(unpacker, member, tar, f"{where}: entry {member.name!r}")
            tar.members.clear()  # type: ignore[attr-defined]
            progress.advance(blob.take_count())


def _apply_member(
    unpacker: Unpacker, member: tarfile.TarInfo, tar: tarfile.TarFile, where: str
) -> None:
    try:
        with _os_errors(where):
            unpacker.apply(member, tar)
    except Refused as exc:
        raise UnsafeImageError(
            f"{where} {exc}; the image is refused: ask its vendor for a fixed one"
        ) from None


@contextmanager
def _os_errors(where: str) -> Iterator[None]:
    """A failing write becomes a SealiftError naming where it happened."""
    try:
        yield
    except (SealiftError, Refused):
        raise
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"{where}: the disk is full; free space and try again") from None
        raise DeployError(f"{where}: could not be written: {exc.strerror or exc}") from None


class _HashingReader(io.RawIOBase):
    """A blob read once, hashed and counted on the way (by the inflating thread)."""

    def __init__(self, blob: IO[bytes]) -> None:
        self._blob = blob
        self._hash = hashlib.sha256()
        self._count = 0
        self._reported = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._blob.readinto(buffer)  # type: ignore[attr-defined]
        self._hash.update(memoryview(buffer)[:count])
        self._count += count
        return int(count)

    def take_count(self) -> int:
        """Bytes read since the last call (for progress)."""
        count, self._reported = self._count - self._reported, self._count
        return count

    def check(self, digest: str, where: str) -> None:
        if "sha256:" + self._hash.hexdigest() != digest:
            raise StoreError(
                f"{where} ({digest[:19]}) is corrupt in the store; run `sealift store check`, "
                "then import or publish the app version again"
            )


@contextmanager
def _layer_stream(
    layout: Layout, layer: Descriptor, where: str
) -> Iterator[tuple[IO[bytes], _HashingReader]]:
    """The layer's tar stream (inflated if it is gzip) and the reader of its blob."""
    with layout.open_blob(layer.digest) as blob:
        magic = blob.read(4)
        blob.seek(0)
        if magic.startswith(ZSTD_MAGIC):
            raise StoreError(
                f"{where} is compressed with zstd, which sealift cannot flatten yet; "
                "publish the image with gzip layers"
            )
        reader = _HashingReader(blob)
        buffered = io.BufferedReader(reader, CHUNK)
        if not magic.startswith(GZIP_MAGIC):
            yield buffered, reader
            return
        opened = igzip_threaded.open(buffered, "rb", threads=1, block_size=CHUNK)  # type: ignore[no-untyped-call]
        with opened as stream:
            yield stream, reader


def _syncfs(fd: int) -> None:
    """Make the written root durable (its filesystem only) before it is renamed into place."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syncfs(fd) != 0:
        os.sync()
