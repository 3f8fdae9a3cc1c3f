"""Images from an OCI layout directory (`oci:DIR:REF`) or a tar of one
(`oci-archive:FILE:REF`, read in one pass)."""

from __future__ import annotations

import contextlib
import json
import posixpath
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

from sealift.errors import BundleError, NotFoundError, StoreError
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.digest import is_digest
from sealift.oci.graph import Copied, copy_graph
from sealift.oci.layout import MAX_JSON, Layout
from sealift.oci.media import REF_NAME
from sealift.oci.reference import LayoutReference
from sealift.oci.transfer import store_blob
from sealift.progress import NO_PROGRESS, Progress

CHUNK = 1024 * 1024


def copy_from_oci_dir(
    layout: Layout, ref: LayoutReference, *, platforms: Sequence[Platform], progress: Progress
) -> Copied:
    try:
        source = Layout.open(ref.path)
    except StoreError:
        raise NotFoundError(f"{ref}: {ref.path} is not an OCI image layout") from None
    top = pick_entry(source.entries(), ref)
    return copy_graph(
        layout,
        top,
        _LayoutBlobs(source, str(ref)),
        wanted=platforms,
        progress=progress,
        image=str(ref),
    )


def copy_from_oci_archive(
    layout: Layout, ref: LayoutReference, *, platforms: Sequence[Platform], progress: Progress
) -> Copied:
    """Stream the archive once: every blob into `layout` (verified), then pick the image.

    Blobs this call wrote that the image does not reach are discarded again
    (see `Layout.discard`).
    """
    written: set[str] = set()
    try:
        with _open_tar(ref) as tar:
            index = _extract_blobs(tar, layout, progress, str(ref), written)
        top = pick_entry([Descriptor.from_json(m) for m in index.get("manifests", [])], ref)
        copied = copy_graph(
            layout,
            top,
            _LayoutBlobs(layout, str(ref)),
            wanted=platforms,
            progress=NO_PROGRESS,
            image=str(ref),
        )
    except BaseException:
        layout.discard(written)
        raise
    layout.discard(written - {d.digest for d in layout.walk(copied.descriptor)})
    return copied


def pick_entry(entries: Sequence[Descriptor], ref: LayoutReference) -> Descriptor:
    """The index.json entry `ref` names: by ref name, by digest, or the only one."""
    if not ref.ref:
        if len(entries) == 1:
            return entries[0]
        raise NotFoundError(
            f"{ref}: the layout holds {len(entries)} images; name one "
            f"as {ref.transport}:{ref.path}:REF"
        )
    for entry in entries:
        if entry.annotations.get(REF_NAME) == ref.ref or entry.digest == ref.ref:
            return entry
    names = sorted(e.annotations.get(REF_NAME, "") for e in entries) or ["none"]
    raise NotFoundError(
        f"{ref}: no image named {ref.ref!r} in the layout "
        f"(it has {', '.join(n for n in names if n) or 'no named images'})"
    )


class _LayoutBlobs:
    def __init__(self, source: Layout, image: str) -> None:
        self._source = source
        self._image = image

    def open(self, desc: Descriptor) -> AbstractContextManager[Iterable[bytes]]:
        if not self._source.has_blob(desc.digest):
            raise NotFoundError(f"{self._image}: blob {desc.digest} is missing from the layout")
        return _blob_chunks(self._source, desc.digest)


@contextlib.contextmanager
def _blob_chunks(source: Layout, digest: str) -> Iterator[Iterable[bytes]]:
    with source.open_blob(digest) as f:
        yield _chunks(f)


@contextlib.contextmanager
def _open_tar(ref: LayoutReference) -> Iterator[tarfile.TarFile]:
    try:
        with (
            ref.path.open("rb") as raw,
            tarfile.open(fileobj=raw, mode="r|*", bufsize=CHUNK) as tar,
        ):
            yield tar
    except FileNotFoundError:
        raise NotFoundError(f"{ref}: no such file {ref.path}") from None
    except tarfile.TarError as exc:
        raise BundleError(f"{ref}: {ref.path} is not a readable tar: {exc}") from None


def _extract_blobs(
    tar: tarfile.TarFile, layout: Layout, progress: Progress, image: str, written: set[str]
) -> dict[str, Any]:
    """Store every blob member (adding what was new to `written`); return index.json."""
    index: Any = None
    for member in tar:
        name = posixpath.normpath(member.name)
        fileobj = tar.extractfile(member) if member.isfile() else None
        if fileobj is None:
            continue
        if name == "index.json" and member.size <= MAX_JSON:
            index = _json(fileobj.read(), image)
        elif name.startswith("blobs/sha256/"):
            digest = _store_member(layout, name, member.size, fileobj, progress, image)
            if digest:
                written.add(digest)
    if not isinstance(index, dict):
        raise BundleError(f"{image}: the archive has no index.json; it is not an OCI layout")
    return index


def _store_member(
    layout: Layout, name: str, size: int, fileobj: IO[bytes], progress: Progress, image: str
) -> str:
    """Store one blob member; return its digest if it was new."""
    digest = "sha256:" + posixpath.basename(name)
    if not is_digest(digest):
        raise BundleError(f"{image}: unexpected member {name} in the archive")
    if layout.has_blob(digest):
        return ""
    store_blob(
        layout, Descriptor("", digest, size), _chunks(fileobj), progress, f"{image} {digest[7:19]}"
    )
    return digest


def _chunks(fileobj: IO[bytes]) -> Iterator[bytes]:
    while chunk := fileobj.read(CHUNK):
        yield chunk


def _json(data: bytes, image: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise BundleError(f"{image}: index.json of the archive is not JSON: {exc}") from None
