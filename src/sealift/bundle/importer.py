"""`sealift import`: verify a bundle completely, then add it to the store in one step.

1. Read the head (manifest, signature, index.json) and check the signature policy.
2. Scan every member header (names, types, order, sizes, end) before writing anything.
   A bundle that arrives as a stream (`import_stream`, the console's upload) cannot be
   read twice: its members are checked one by one as they arrive instead.
3. Stream each blob into staging, hashed as it is written; blobs already in the store
   or verified in staging by an earlier, interrupted run are reused.
4. Check that every reference is reachable (differential bundles lean on the store).
5. Move the blobs into the store and register every app version. On failure the
   store and the market are put back exactly as they were.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sealift.bundle import manifest as bm
from sealift.bundle import safejson
from sealift.bundle.reader import BundleReader, Head, StreamBrokeOff, StreamBundleReader
from sealift.bundle.signing import fingerprint, load_public, named_trusted_keys, verify
from sealift.bundle.staging import StagedBlobMismatch, Staging
from sealift.errors import (
    AlreadyExistsError,
    BundleError,
    ModelError,
    StoreError,
)
from sealift.market import format as fmt
from sealift.market.catalog import AppVersion, Market, model_parser_loading
from sealift.market.origin import NOT_VERIFIED, SIGNED, UNSIGNED, Origin
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import MAX_JSON, children_of, walk_graph
from sealift.progress import NO_PROGRESS, Progress
from sealift.space import require_space

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    imported: list[AppVersion] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # refs that were already in the store
    written: int = 0  # blobs streamed from the bundle
    reused: int = 0  # blobs already in the store or in staging
    bytes_written: int = 0
    origin: Origin = field(default_factory=Origin)  # what the market records of its versions

    @property
    def signed_by(self) -> str:
        """The fingerprint of the key that verified the signature ("" when none did)."""
        return self.origin.key


@dataclass(frozen=True)
class ImportOptions:
    staging_dir: Path
    trust_dir: Path
    verify_key: Path | None = None


def import_bundle(
    market: Market, path: Path, options: ImportOptions, progress: Progress = NO_PROGRESS
) -> ImportResult:
    return _import_locked(market, partial(BundleReader, path), options, progress)


def import_stream(
    market: Market,
    stream: io.RawIOBase,
    name: str,
    size: int,
    options: ImportOptions,
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """Import the `size` bytes of a bundle as they arrive on `stream`, in one pass: the
    head and its signature are checked before any blob is written, each blob by name,
    size and digest as it comes, and the store changes only once all of it passed. When
    the stream breaks off, the blobs verified so far stay in staging for the next try."""
    opened = partial(StreamBundleReader, stream, name, size)
    return _import_locked(market, opened, options, progress)


def _import_locked(
    market: Market,
    opened: Callable[[], BundleReader],
    options: ImportOptions,
    progress: Progress,
) -> ImportResult:
    staging = Staging(options.staging_dir)
    # the store lease spans the first look at the store's blobs to the last name written
    with staging.locked(), market.layout.writing():
        reader = opened()
        try:
            return _import(market, reader, staging, options, progress)
        finally:
            reader.close()


def _import(
    market: Market,
    reader: BundleReader,
    staging: Staging,
    options: ImportOptions,
    progress: Progress,
) -> ImportResult:
    result = ImportResult()
    progress.note("checking the bundle's structure")
    head = reader.read_head()
    result.origin = _check_signature(head, options, reader.path.name)
    if reader.rewindable:
        reader.scan_blobs(head)
        log.debug("%s: structure checked, %d blobs", reader.path, len(head.manifest.blobs))
    todo = _new_versions(market, head, result)
    log.debug("new versions: %s", ", ".join(a.ref for a in todo) or "none")
    _check_space(market, staging, head)
    with model_parser_loading(bool(todo)) as model_parser_loaded:
        if reader.rewindable:
            reader.rewind()
            if reader.read_head().manifest_bytes != head.manifest_bytes:
                raise BundleError(f"{reader.path.name} changed while it was read")
        _receive_or_clean_up(market, reader, head, staging, result, progress)
        log.debug("%d blobs streamed, %d reused; committing", result.written, result.reused)
        model_parser_loaded()
        _commit(market, staging, head, todo, result)
    return result


def _receive_or_clean_up(
    market: Market,
    reader: BundleReader,
    head: Head,
    staging: Staging,
    result: ImportResult,
    progress: Progress,
) -> None:
    """Receive the blobs; on failure drop what is not verified (and, for a bundle that is
    wrong, what this run wrote)."""
    fresh: list[str] = []
    try:
        _receive(market, reader, head, staging, fresh, result, progress)
    except BundleError:
        staging.discard_pending()
        for digest in fresh:
            staging.remove(digest)
        raise
    except StreamBrokeOff:
        staging.keep_verified()  # the same bundle, sent again, goes on from these
        raise
    except BaseException:
        staging.discard_pending()  # verified but not yet durable: redone on the next run
        raise


def _check_space(market: Market, staging: Staging, head: Head) -> None:
    """Refuse at once what could only fail when the disk fills up, midway."""
    needed = sum(
        b.size
        for b in head.manifest.blobs
        if not market.layout.has_blob(b.digest) and not staging.has(b.digest, b.size)
    )
    require_space(
        staging.root,
        needed,
        "the import",
        "free some space (blobs already verified in its staging/ are kept for the next run)",
    )


def _check_signature(head: Head, options: ImportOptions, file: str) -> Origin:
    """Apply the signature policy; what the market is to record of the bundle's versions."""
    keys, source = _keys(options)
    if not keys:
        return Origin.imported(file, UNSIGNED if head.signature is None else NOT_VERIFIED)
    key = verify(head.manifest_bytes, head.signature, list(keys.values()), source)
    names = [name for name, public in keys.items() if fingerprint(public) == key]
    return Origin.imported(file, SIGNED, key, names[0] if names else "")


def _keys(options: ImportOptions) -> tuple[dict[str, Ed25519PublicKey], str]:
    """The keys a signature must match (by name), and where they come from."""
    path = options.verify_key
    if path is not None:
        return {path.name.removesuffix(".pub"): load_public(path)}, f"--verify {path.name}"
    return named_trusted_keys(options.trust_dir), f"the trust store ({options.trust_dir})"


def _new_versions(market: Market, head: Head, result: ImportResult) -> list[bm.AppRef]:
    """App versions to register; the same version with other content is refused up front."""
    todo: list[bm.AppRef] = []
    for app in head.manifest.apps:
        if not market.has(app.name, app.version):
            todo.append(app)
        elif market.get(app.name, app.version).descriptor.digest == app.digest:
            result.present.append(app.ref)
        else:
            raise AlreadyExistsError(
                f"{app.ref} is already in the store with other content; "
                f"versions are immutable: remove it first "
                f"(`sealift market remove {app.ref}`)"
            )
    return todo


def _receive(
    market: Market,
    reader: BundleReader,
    head: Head,
    staging: Staging,
    fresh: list[str],
    result: ImportResult,
    progress: Progress,
) -> None:
    offsets: dict[str, int] = {}  # where each streamed blob starts, to name a corrupt one
    try:
        _receive_blobs(market, reader, head, staging, fresh, offsets, result, progress)
    except StagedBlobMismatch as exc:  # raised by a later receive or flush than its own
        raise BundleError.corrupt(
            f"blob {exc.digest[:19]}... in {reader.where(offsets[exc.digest])} "
            "does not match its digest"
        ) from None


def _receive_blobs(
    market: Market,
    reader: BundleReader,
    head: Head,
    staging: Staging,
    fresh: list[str],
    offsets: dict[str, int],
    result: ImportResult,
    progress: Progress,
) -> None:
    progress.begin("import", head.manifest.size)
    checked = False
    for blob, member in reader.blob_members(head.manifest):
        if blob.kind == "layer" and not checked:
            staging.flush()
            _check_reachable(market, staging, head)
            checked = True
        before = reader.tar.position
        if market.layout.has_blob(blob.digest) or staging.has(blob.digest, blob.size):
            reader.tar.skip_data(member)
            result.reused += 1
        else:
            offsets[blob.digest] = member.offset
            staging.receive(blob.digest, blob.size, partial(reader.tar.copy_data, member))
            fresh.append(blob.digest)
            result.written += 1
            result.bytes_written += blob.size
        progress.advance(reader.tar.position - before)
    staging.flush()
    if not checked:
        _check_reachable(market, staging, head)
    progress.end()


def _check_reachable(market: Market, staging: Staging, head: Head) -> None:
    """Every blob the app versions reach is in the bundle or already in the store."""
    listed = {b.digest: b.size for b in head.manifest.blobs}
    missing: set[str] = set()
    seen: set[str] = set()

    def children(desc: Descriptor) -> list[Descriptor]:
        if desc.digest in missing:
            return []
        return _children(market, staging, desc, desc.digest in listed)

    for desc in walk_graph([head.refs[a.ref] for a in head.manifest.apps], children):
        seen.add(desc.digest)
        if desc.digest in listed and listed[desc.digest] != desc.size:
            raise BundleError.corrupt(f"blob {desc.digest[:19]}... has two different sizes")
        if desc.digest not in listed and not market.layout.has_blob(desc.digest):
            missing.add(desc.digest)
    unused = set(listed) - seen
    if unused:
        raise BundleError.corrupt(f"it carries {len(unused)} blob(s) that no app version uses")
    if missing:
        raise BundleError(_missing_message(market, head, len(missing)))


def _children(
    market: Market, staging: Staging, desc: Descriptor, in_bundle: bool
) -> list[Descriptor]:
    path = staging.path(desc.digest) if in_bundle else market.layout.blob_path(desc.digest)
    if in_bundle and not path.exists():
        path = market.layout.blob_path(desc.digest)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_JSON + 1)
    except FileNotFoundError:
        raise BundleError.corrupt(
            f"manifest {desc.digest[:19]}... comes after the layers"
        ) from None
    doc = safejson.load(data, f"blob {desc.digest[:19]}...", max_size=MAX_JSON)
    try:
        return children_of(desc, doc)
    except (KeyError, TypeError, ValueError, AttributeError, StoreError):
        raise BundleError.corrupt(f"manifest {desc.digest[:19]}... is malformed") from None


def _missing_message(market: Market, head: Head, count: int) -> str:
    bases, left_out = head.manifest.bases, max(count, head.manifest.left_out)
    absent = [b.ref for b in bases if not market.has(b.name, b.version)]
    if absent:
        return (
            f"this differential bundle leaves out {left_out} blob(s) of its base "
            f"{', '.join(absent)}, which is not in the store; import {', '.join(absent)} "
            "first, or ask for a full bundle"
        )
    other = [b.ref for b in bases if not _has_exactly(market, b)]
    if other:
        return (
            f"this differential bundle needs {count} blob(s) of {', '.join(other)} that "
            f"this store lacks: its {', '.join(other)} has other content (another "
            "platform?); ask for a full bundle"
        )
    if bases:
        return (
            f"this differential bundle leaves out {count} blob(s) that are not in the "
            f"store, although its base {', '.join(b.ref for b in bases)} is; ask for a "
            "full bundle"
        )
    return f"bundle is incomplete: {count} blob(s) it refers to are neither in it nor in the store"


def _has_exactly(market: Market, base: bm.AppRef) -> bool:
    return (
        market.has(base.name, base.version)
        and market.get(base.name, base.version).descriptor.digest == base.digest
    )


def _commit(
    market: Market, staging: Staging, head: Head, todo: list[bm.AppRef], result: ImportResult
) -> None:
    """Move the blobs in and register the versions. On any failure, forget the versions
    this import named (only those); the blobs it moved in are freed when its lease ends
    (`Layout.writing`), as nothing names them."""
    layout = market.layout
    try:
        for blob in head.manifest.blobs:
            if not layout.has_blob(blob.digest):
                staging.move_into(blob.digest, layout.blobs_dir)
                layout.record_written(blob.digest)
            else:
                staging.remove(blob.digest)
        for app in todo:
            _check_app_names(market, app)
            result.imported.append(_register(market, head, app, result.origin))
        _record_present(market, result)
    except BaseException:
        for done in result.imported:
            market.forget(done.name, done.version, done.digest)
        result.imported.clear()
        raise


def _register(market: Market, head: Head, app: bm.AppRef, origin: Origin) -> AppVersion:
    try:
        return market.register(_app_descriptor(head, app), origin=origin)
    except ModelError as exc:
        raise BundleError(
            f"the model of {app.ref} in this bundle does not validate "
            f"({'; '.join(exc.problems)}); ask its vendor for a corrected bundle"
        ) from None


def _record_present(market: Market, result: ImportResult) -> None:
    """A version that was here already keeps its record, unless this import checked a
    signature its record lacks (imported again with --verify)."""
    for ref in result.present:
        name, version = fmt.split_ref(ref)
        if result.origin.outranks(market.get(name, version).origin):
            market.record_origin(name, version, result.origin)


def _check_app_names(market: Market, app: bm.AppRef) -> None:
    """The app index must call itself what sealift-bundle.json calls it."""
    doc = market.layout.read_json(app.digest)
    notes = doc.get("annotations") if isinstance(doc, dict) else None
    notes = notes if isinstance(notes, dict) else {}
    if (notes.get(fmt.APP_NAME), notes.get(fmt.APP_VERSION)) != (app.name, app.version):
        raise BundleError.corrupt(
            f"the app index listed as {app.ref} names itself "
            f"{notes.get(fmt.APP_NAME)}:{notes.get(fmt.APP_VERSION)}"
        )


def _app_descriptor(head: Head, app: bm.AppRef) -> Descriptor:
    desc = head.refs[app.ref]
    return desc.with_annotations({})


__all__ = ["ImportOptions", "ImportResult", "StreamBrokeOff", "import_bundle", "import_stream"]
