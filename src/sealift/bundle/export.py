"""`sealift export`: stream app versions from the store into one bundle (or its parts).

Members, in order: sealift-bundle.json, its signature, the site runtime sealift.pyz
(`--with-runtime`), oci-layout, index.json, JSON blobs, layers. Blobs go from the store
to the file inside the kernel (no temporary copy); the output is written as FILE.tmp
and renamed only when complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sealift import __version__
from sealift.bundle import manifest as bm
from sealift.bundle.plan import ExportOptions, ExportPlan, plan_export
from sealift.bundle.signing import sign
from sealift.bundle.sink import FileSink, part_path
from sealift.bundle.tarstream import Sink, TarWriter, archive_size
from sealift.errors import BundleError, SealiftError, StoreError
from sealift.files import check_output
from sealift.formats import canonical_json, utc_timestamp
from sealift.market.catalog import Market
from sealift.oci import media
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import OCI_LAYOUT_JSON
from sealift.progress import NO_PROGRESS, Progress
from sealift.runtime.info import read_runtime
from sealift.runtime.pyz import file_sha256
from sealift.space import human_size, require_file_size, require_space

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    manifest: bm.BundleManifest


def export(
    market: Market,
    options: ExportOptions,
    target: Path,
    *,
    part_size: int = 0,
    key: Ed25519PrivateKey | None = None,
    progress: Progress = NO_PROGRESS,
) -> ExportResult:
    check_output(target)
    # a lease on the store: no blob is deleted while it is read (see sealift.oci.layout);
    # a version removed before the lease was taken is simply not found
    with market.layout.lease():
        return _export(market, options, target, part_size, key, progress)


def _export(
    market: Market,
    options: ExportOptions,
    target: Path,
    part_size: int,
    key: Ed25519PrivateKey | None,
    progress: Progress,
) -> ExportResult:
    plan = plan_export(market, options)
    _check_store(market, plan)
    index_json = bundle_index(plan)
    head = _head(plan, index_json, part_size, key)
    _check_runtime_fits(head, part_size)
    log.debug(
        "exporting %s: %d blobs, %d bytes, %d left to the base",
        ", ".join(a.ref.ref for a in plan.apps),
        len(plan.blobs),
        head[0].size,
        len(plan.left_out),
    )
    directory = target.absolute().parent
    require_space(
        directory, head[0].size, "the bundle", "free some space or write it elsewhere (-o)"
    )
    require_file_size(directory, part_size or head[0].size, "add --split 4000M")
    sink = FileSink(target, part_size)
    try:
        _write(market, plan, head, index_json, sink, progress)
        files = sink.commit()
    except BaseException:
        log.debug("export failed; removing what was written of %s", target)
        sink.discard()
        raise
    log.debug("wrote %s", ", ".join(str(f) for f in files))
    _remove_stale_parts(target, len(files) if part_size else 0)
    return ExportResult(files, head[0])


def bundle_index(plan: ExportPlan) -> bytes:
    """index.json of the bundle: every app version and component image, named."""
    manifests = [
        desc.with_annotations({**desc.annotations, media.REF_NAME: name}).to_json()
        for app in plan.apps
        for name, desc in app.named_entries()
    ]
    return canonical_json(
        {"schemaVersion": 2, "mediaType": media.OCI_INDEX, "manifests": manifests}
    )


def _head(
    plan: ExportPlan, index_json: bytes, part_size: int, key: Ed25519PrivateKey | None
) -> tuple[bm.BundleManifest, bytes, bytes | None]:
    """The manifest (with the bundle's final size in it), its bytes and signature."""
    now = utc_timestamp()
    manifest = bm.BundleManifest(
        runtime=runtime_entry(plan.runtime) if plan.runtime else None,
        creator=f"sealift {__version__}",
        created=now,
        apps=[a.ref for a in plan.apps],
        platforms=plan.platforms,
        index=bm.BlobEntry(digest_bytes(index_json), len(index_json), "json"),
        blobs=plan.blobs,
        bases=plan.bases,
        left_out=len(plan.left_out),
        left_out_bytes=sum(b.size for b in plan.left_out),
        part_size=part_size,
    )
    members = [(bm.RUNTIME_NAME, manifest.runtime.size)] if manifest.runtime else []
    members += [("oci-layout", len(OCI_LAYOUT_JSON)), ("index.json", len(index_json))]
    members += [(b.member, b.size) for b in plan.blobs]
    for _ in range(8):  # the size is inside the manifest: iterate to a fixed point
        data = manifest.to_bytes()
        sig = sign(data, key).to_bytes() if key is not None else None
        heads = [(bm.NAME, len(data))] + ([(bm.SIG_NAME, len(sig))] if sig else [])
        total = archive_size(heads + members)
        if total == manifest.size:
            return manifest, data, sig
        manifest = replace(manifest, size=total)
    raise SealiftError("bug: bundle size did not settle")


@dataclass(frozen=True)
class NestedBundle:
    """A bundle to be written inside another file (a package): its size is known first."""

    size: int
    write: Callable[[Sink, Progress], None]


def nested_bundle(market: Market, options: ExportOptions) -> NestedBundle:
    """The bundle of `options` (unsplit, unsigned), for `TarWriter.add_written`. The caller
    holds a lease on the store until it is written."""
    plan = plan_export(market, options)
    _check_store(market, plan)
    index_json = bundle_index(plan)
    head = _head(plan, index_json, 0, None)

    def write(sink: Sink, progress: Progress) -> None:
        _write(market, plan, head, index_json, sink, progress)

    return NestedBundle(head[0].size, write)


def _check_store(market: Market, plan: ExportPlan) -> None:
    for blob in plan.blobs:
        if blob.digest in plan.graph.extra:
            continue
        if not market.layout.has_blob(blob.digest):
            raise StoreError(
                f"blob {blob.digest} is missing from the store; the store is "
                "damaged: publish or import the app version again"
            )
        if market.layout.blob_size(blob.digest) != blob.size:
            raise StoreError(
                f"blob {blob.digest} in the store has the wrong size; the store "
                "is damaged: remove and publish the app version again"
            )


def _write(
    market: Market,
    plan: ExportPlan,
    head: tuple[bm.BundleManifest, bytes, bytes | None],
    index_json: bytes,
    sink: Sink,
    progress: Progress,
) -> None:
    manifest, data, sig = head
    tar = TarWriter(sink)
    tar.add_bytes(bm.NAME, data)
    if sig is not None:
        tar.add_bytes(bm.SIG_NAME, sig)
    if plan.runtime is not None and manifest.runtime is not None:
        _add_runtime(tar, plan.runtime, manifest.runtime)
    tar.add_bytes("oci-layout", OCI_LAYOUT_JSON)
    tar.add_bytes("index.json", index_json)
    progress.begin("export", manifest.size)
    for blob in plan.blobs:
        before = tar.offset
        extra = plan.graph.extra.get(blob.digest)
        if extra is not None:
            tar.add_bytes(blob.member, extra)
        else:
            _add_store_blob(market, tar, blob)
        progress.advance(tar.offset - before)
    tar.close()
    progress.end()


def _check_runtime_fits(head: tuple[bm.BundleManifest, bytes, bytes | None], part: int) -> None:
    """With --split, the first part must hold sealift.pyz whole: `tar -xf` of that part
    alone takes it out at the site."""
    manifest, data, sig = head
    if not part or manifest.runtime is None:
        return
    members = [(bm.NAME, len(data)), (bm.RUNTIME_NAME, manifest.runtime.size)]
    members += [(bm.SIG_NAME, len(sig))] if sig else []
    if archive_size(members) > part:
        raise BundleError(
            f"--split {human_size(part)} is too small for the runtime: the first part must hold "
            f"sealift.pyz ({human_size(manifest.runtime.size)}) whole; split into larger parts"
        )


def runtime_entry(path: Path) -> bm.RuntimeEntry:
    """What sealift-bundle.json says of the runtime at `path` (read and hashed once)."""
    info = read_runtime(path)
    digest, size = "sha256:" + file_sha256(path), path.stat().st_size
    return bm.RuntimeEntry(
        digest, size, info.sealift, info.runtime_id, info.pythons, info.machines, info.glibc
    )


def _add_runtime(tar: TarWriter, path: Path, entry: bm.RuntimeEntry) -> None:
    """Copy the runtime as it was hashed: a file that changed since is refused."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if os.fstat(fd).st_size != entry.size:
            raise BundleError(f"{path} changed while the bundle was written; export again")
        tar.add_file(bm.RUNTIME_NAME, fd, entry.size, mode=0o755)
    finally:
        os.close(fd)


def _add_store_blob(market: Market, tar: TarWriter, blob: bm.BlobEntry) -> None:
    fd = os.open(market.layout.blob_path(blob.digest), os.O_RDONLY)
    try:
        tar.add_file(blob.member, fd, blob.size)
    finally:
        os.close(fd)


def _remove_stale_parts(target: Path, written: int) -> None:
    """Parts left over from an earlier, longer export of the same name would be read
    as part of this bundle."""
    number = written + 1
    while part_path(target, number).exists():
        with contextlib.suppress(FileNotFoundError):
            part_path(target, number).unlink()
        number += 1


__all__ = [
    "ExportOptions",
    "ExportResult",
    "NestedBundle",
    "bundle_index",
    "export",
    "nested_bundle",
]
