"""`sealift bundle inspect`: what a bundle carries, read from its head and JSON blobs
(they come before the layers); `check=True` also hashes every blob."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealift.bundle import manifest as bm
from sealift.bundle import safejson
from sealift.bundle.platforms import image_platforms
from sealift.bundle.reader import BundleReader, Head
from sealift.bundle.signing import trusted_keys, verify
from sealift.errors import BundleError, SignatureError
from sealift.market.format import COMPONENT
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import MAX_JSON, children_of, walk_graph
from sealift.progress import NO_PROGRESS, Progress


@dataclass(frozen=True)
class ComponentInfo:
    name: str
    platforms: list[str]
    size: int  # bytes of the blobs this bundle carries for it
    complete: bool  # False when some of its blobs were left out (differential)


@dataclass(frozen=True)
class AppInfo:
    ref: bm.AppRef
    components: list[ComponentInfo]


@dataclass
class BundleInfo:
    files: list[Path]
    manifest: bm.BundleManifest
    apps: list[AppInfo]
    signature_key: str = ""  # fingerprint, "" when unsigned
    signature_trusted: bool | None = None  # None: no trusted key to check against
    checked: bool = False
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "files": [str(f) for f in self.files],
            "size": m.size,
            "creator": m.creator,
            "created": m.created,
            "platforms": m.platforms,
            "blobs": len(m.blobs),
            "differential": m.differential,
            "bases": [{"name": b.name, "version": b.version, "digest": b.digest} for b in m.bases],
            "left_out": {"blobs": m.left_out, "bytes": m.left_out_bytes},
            "signature": {"key": self.signature_key or None, "trusted": self.signature_trusted},
            "checked": self.checked,
            "runtime": m.runtime.to_json() if m.runtime else None,
            "apps": [
                {
                    "name": a.ref.name,
                    "version": a.ref.version,
                    "digest": a.ref.digest,
                    "components": [
                        {
                            "name": c.name,
                            "platforms": c.platforms,
                            "size": c.size,
                            "complete": c.complete,
                        }
                        for c in a.components
                    ],
                }
                for a in self.apps
            ],
        }


class _Docs:
    """JSON documents read from the bundle, looked up like a store."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}

    def read(self, desc: Descriptor) -> Any:
        if desc.digest not in self.docs:
            raise BundleError(f"{desc.digest[:19]}... is not in the bundle")
        return self.docs[desc.digest]

    def children(self, desc: Descriptor) -> list[Descriptor]:
        return children_of(desc, self.read(desc))


def inspect_bundle(
    path: Path,
    *,
    check: bool = False,
    trust_dir: Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> BundleInfo:
    reader = BundleReader(path)
    try:
        head = reader.read_head()
        docs = _Docs()
        progress.begin("check" if check else "read", head.manifest.size if check else None)
        for blob, member in reader.blob_members(head.manifest):
            before = reader.tar.position
            if blob.kind == "json":
                raw = reader.tar.read_small(member, MAX_JSON)
                _check_digest(reader, blob, member.offset, raw)
                docs.docs[blob.digest] = safejson.load(raw, blob.member, max_size=MAX_JSON)
            elif check:
                _hash_member(reader, blob, member)
            else:
                break
            progress.advance(reader.tar.position - before)
        progress.end()
        info = BundleInfo(
            reader.stream.paths,
            head.manifest,
            [_app_info(docs, head, a) for a in head.manifest.apps],
            checked=check,
        )
        _signature(info, head, trust_dir)
        return info
    finally:
        reader.close()


def _hash_member(reader: BundleReader, blob: bm.BlobEntry, member: Any) -> None:
    digest = hashlib.sha256()
    for chunk in reader.tar.iter_data(member):
        digest.update(chunk)
    _check_digest(reader, blob, member.offset, None, "sha256:" + digest.hexdigest())


def _check_digest(
    reader: BundleReader, blob: bm.BlobEntry, offset: int, raw: bytes | None, actual: str = ""
) -> None:
    actual = actual or "sha256:" + hashlib.sha256(raw or b"").hexdigest()
    if actual != blob.digest:
        raise BundleError.corrupt(
            f"blob {blob.digest[:19]}... in {reader.where(offset)} does not match its digest"
        )


def _app_info(docs: _Docs, head: Head, app: bm.AppRef) -> AppInfo:
    index = docs.read(head.refs[app.ref])
    entries = [Descriptor.from_json(m) for m in index.get("manifests", [])]
    listed = {b.digest for b in head.manifest.blobs}
    return AppInfo(
        app, [_component(docs, e, listed) for e in entries if COMPONENT in e.annotations]
    )


def _component(docs: _Docs, entry: Descriptor, listed: set[str]) -> ComponentInfo:
    size, complete = 0, True
    for desc in walk_graph([entry], lambda d: docs.children(d) if d.digest in listed else []):
        if desc.digest in listed:
            size += desc.size
        else:
            complete = False
    try:
        platforms = [str(p) for p in image_platforms(docs, entry)]
    except (BundleError, KeyError, TypeError):
        platforms = []
    return ComponentInfo(entry.annotations[COMPONENT], platforms, size, complete)


def _signature(info: BundleInfo, head: Head, trust_dir: Path | None) -> None:
    if head.signature is None:
        return
    info.signature_key = head.signature.key
    keys = trusted_keys(trust_dir) if trust_dir is not None else []
    if not keys:
        return
    try:
        verify(head.manifest_bytes, head.signature, keys, "the trust store")
        info.signature_trusted = True
    except SignatureError as exc:
        info.signature_trusted = False
        info.problems.append(exc.message)


__all__ = ["AppInfo", "BundleInfo", "ComponentInfo", "inspect_bundle"]
