"""Reading a bundle in member order: the head first (manifest, signature, the site
runtime when there is one, oci-layout, index.json), then the blobs, each checked against
sealift-bundle.json by name, position and size before its data is touched."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealift.bundle import manifest as bm
from sealift.bundle import safejson
from sealift.bundle.parts import PartsReader, open_bundle
from sealift.bundle.signing import Signature, parse_signature
from sealift.bundle.tarstream import Member, TarReader
from sealift.errors import BundleError, SealiftError, StoreError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import MAX_JSON, OCI_LAYOUT_JSON


@dataclass(frozen=True)
class Head:
    manifest: bm.BundleManifest
    manifest_bytes: bytes
    signature: Signature | None
    refs: dict[str, Descriptor]  # index.json entries by ref name


class BundleReader:
    """A bundle on disk (one file or its parts): it can be read twice, so an import checks
    its whole structure before it writes anything."""

    rewindable = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stream: PartsReader = open_bundle(path)
        self.tar = TarReader(self.stream)  # type: ignore[arg-type]
        self.tar.where = path.name

    def close(self) -> None:
        self.stream.close()

    def rewind(self) -> None:
        self.stream.seek(0)
        self.tar = TarReader(self.stream)  # type: ignore[arg-type]
        self.tar.where = self.path.name

    def where(self, offset: int) -> str:
        """The file holding byte `offset` (a part name when the bundle is split)."""
        return self.stream.part_at(offset).name

    def read_head(self) -> Head:
        first = self.tar.next()
        if first is None:
            raise BundleError.not_a_bundle(self.path.name, "an empty archive")
        if first.name != bm.NAME:
            raise BundleError.not_a_bundle(self.path.name, f"it does not start with {bm.NAME}")
        member = first
        raw = self.tar.read_small(member, bm.MAX_SIZE)
        manifest = bm.parse(raw)
        self._check_length(manifest)
        member = self._next()
        signature = None
        if member.name == bm.SIG_NAME:
            signature = parse_signature(self.tar.read_small(member, 4096))
            member = self._next()
        if manifest.runtime is not None:
            self._check_runtime(member, manifest.runtime)
            member = self._next()
        self._expect(member, "oci-layout")
        if self.tar.read_small(member, 1024) != OCI_LAYOUT_JSON:
            raise BundleError.corrupt("oci-layout is not the OCI layout marker")
        index_raw = self.tar.read_small(self._next_named("index.json"), MAX_JSON)
        if (len(index_raw), digest_bytes(index_raw)) != (
            manifest.index.size,
            manifest.index.digest,
        ):
            raise BundleError.corrupt("index.json does not match sealift-bundle.json")
        refs = _index_refs(safejson.load_object(index_raw, "index.json", max_size=MAX_JSON))
        _check_apps_named(manifest, refs)
        return Head(manifest, raw, signature, refs)

    def blob_members(self, manifest: bm.BundleManifest) -> Iterator[tuple[bm.BlobEntry, Member]]:
        """Each listed blob's member in order; then the archive must end."""
        for blob in manifest.blobs:
            member = self.tar.next()
            if member is None:
                raise BundleError(
                    f"{self.path.name} is truncated: blob {blob.digest[:19]}... "
                    "and those after it are missing; copy the bundle again"
                )
            self._expect(member, blob.member)
            if member.size != blob.size:
                raise BundleError.corrupt(
                    f"{member.name} has {member.size} bytes, sealift-bundle.json says {blob.size}"
                )
            yield blob, member
        extra = self.tar.next()
        if extra is not None:
            raise BundleError.unsafe(
                f"extra member {extra.name[:100]!r} that sealift-bundle.json does not list"
            )

    def scan_blobs(self, head: Head) -> None:
        """Check the structure after the head (names, types, order, sizes, end) without
        reading the blobs' data."""
        for _, member in self.blob_members(head.manifest):
            self.tar.skip_data(member)

    def _check_runtime(self, member: Member, runtime: bm.RuntimeEntry) -> None:
        """The runtime member is hashed as it is read: a changed byte refuses the bundle."""
        self._expect(member, bm.RUNTIME_NAME)
        digest = hashlib.sha256()
        for chunk in self.tar.iter_data(member):
            digest.update(chunk)
        if (member.size, "sha256:" + digest.hexdigest()) != (runtime.size, runtime.digest):
            raise BundleError.corrupt(f"{bm.RUNTIME_NAME} does not match sealift-bundle.json")

    def _check_length(self, manifest: bm.BundleManifest) -> None:
        total, paths = self.stream.total, self.stream.paths
        if manifest.part_size and (len(paths) > 1 or ".part" in paths[0].name):
            expected = math.ceil(manifest.size / manifest.part_size)
            if len(paths) < expected:
                raise BundleError(
                    f"part {self.path.name.split('.part')[0]}.part"
                    f"{len(paths) + 1:03d} is missing (the bundle has {expected} "
                    "parts); copy every part into the same directory"
                )
            for i, path in enumerate(paths[:-1]):
                if path.stat().st_size != manifest.part_size:
                    raise BundleError(
                        f"part {path.name} has the wrong size (part {i + 1} of "
                        f"{expected}); copy it again"
                    )
            if total != manifest.size:
                state = "truncated" if total < manifest.size else "longer than it should be"
                raise BundleError(
                    f"{paths[-1].name} is {state} ({total} bytes, expected "
                    f"{manifest.size}); copy it again"
                )
        self.tar.expected_size = manifest.size

    def _next(self) -> Member:
        member = self.tar.next()
        if member is None:
            raise BundleError(f"{self.path.name} ends early: it is truncated; copy it again")
        return member

    def _next_named(self, name: str) -> Member:
        member = self._next()
        if member.name != name:
            raise BundleError.unsafe(f"member {member.name[:100]!r} where {name} should be")
        return member

    def _expect(self, member: Member, name: str) -> None:
        if member.name != name:
            raise BundleError.unsafe(
                f"member {member.name[:100]!r} where {name} "
                "should be (members are out of order, extra or changed)"
            )


class StreamBrokeOff(SealiftError):
    """A streamed bundle stopped before its end (the browser went away): what was
    verified so far is kept for the next try, unlike a bundle that is wrong."""


class StreamBundleReader(BundleReader):
    """A bundle that arrives once, as a stream of `size` bytes (a browser's upload): each
    member is checked as it comes, so the structure after the head is checked while the
    blobs are received, not before."""

    rewindable = False

    def __init__(self, stream: io.RawIOBase, name: str, size: int) -> None:
        self.path = Path(name)
        self.size = size
        self.tar = TarReader(stream)  # type: ignore[arg-type]
        self.tar.where = name

    def close(self) -> None:
        pass

    def rewind(self) -> None:
        raise TypeError("a streamed bundle cannot be read twice")

    def where(self, offset: int) -> str:
        return self.path.name

    def _check_length(self, manifest: bm.BundleManifest) -> None:
        if self.size != manifest.size:
            split = manifest.part_size and self.size < manifest.size
            raise BundleError(
                f"{self.path.name} is {self.size} bytes but its sealift-bundle.json says "
                f"{manifest.size}: "
                + (
                    "it is one part of a split bundle; join the parts into one file first"
                    if split
                    else "it is not the whole bundle; copy it again"
                )
            )
        self.tar.expected_size = manifest.size


def _index_refs(doc: dict[str, Any]) -> dict[str, Descriptor]:
    manifests = doc.get("manifests")
    if doc.get("schemaVersion") != 2 or not isinstance(manifests, list):
        raise BundleError.corrupt("index.json is not an OCI index")
    refs: dict[str, Descriptor] = {}
    for raw in manifests:
        try:
            desc = Descriptor.from_json(raw)
        except (KeyError, TypeError, ValueError, AttributeError, StoreError):
            raise BundleError.corrupt("index.json has a malformed entry") from None
        name = desc.annotations.get(media.REF_NAME, "")
        if not name or name in refs:
            raise BundleError.corrupt(f"index.json names {name!r} twice or not at all")
        refs[name] = desc
    return refs


def _check_apps_named(manifest: bm.BundleManifest, refs: dict[str, Descriptor]) -> None:
    for app in manifest.apps:
        desc = refs.get(app.ref)
        if desc is None or desc.digest != app.digest:
            raise BundleError.corrupt(
                f"index.json does not name {app.ref} as sealift-bundle.json does"
            )
