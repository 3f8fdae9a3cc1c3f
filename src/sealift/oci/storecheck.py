"""Checking an OCI layout: every blob's digest (streamed), every reference resolves.

Problems name the index.json entries (by ref name) that reach the damaged blob, so
the caller can say which app versions to repair. Blobs that nothing reaches are
garbage, not a problem (a publish still running has such blobs too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sealift.errors import SealiftError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import CHUNK, MAX_JSON, Layout, children_of, is_container


@dataclass(frozen=True)
class Problem:
    kind: str  # corrupt | missing | size | malformed | index
    digest: str
    detail: str
    refs: tuple[str, ...] = ()  # index.json entries that reach it


@dataclass
class StoreReport:
    blobs: int = 0
    bytes: int = 0
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    garbage: dict[str, int] = field(default_factory=dict)  # digest -> size

    @property
    def ok(self) -> bool:
        return not self.problems


def check_layout(layout: Layout) -> StoreReport:
    """Hash every blob, then walk from every index.json entry; see the module doc."""
    report = StoreReport()
    sizes, corrupt = _hash_blobs(layout, report)
    try:
        entries = layout.entries()
    except (SealiftError, KeyError, TypeError, ValueError) as exc:
        report.problems.append(Problem("index", "", f"index.json cannot be read: {exc}"))
        return report
    report.entries = len(entries)
    reached = _Walk(layout, sizes, corrupt).run(entries, report)
    report.garbage = {d: s for d, s in sizes.items() if d not in reached}
    for digest in sorted(corrupt - reached):
        report.problems.append(
            Problem("corrupt", digest, f"blob {digest} does not match its digest (unused)")
        )
    return report


def _hash_blobs(layout: Layout, report: StoreReport) -> tuple[dict[str, int], set[str]]:
    """Sizes of every blob file, and the digests whose content does not match."""
    sizes: dict[str, int] = {}
    corrupt: set[str] = set()
    for digest in sorted(layout.blob_digests()):
        actual, size = _hash_file(layout, digest)
        if size < 0:
            continue  # deleted meanwhile (garbage collection outside our lease)
        sizes[digest] = size
        report.blobs += 1
        report.bytes += size
        if actual != digest:
            corrupt.add(digest)
    return sizes, corrupt


def _hash_file(layout: Layout, digest: str) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    try:
        with layout.blob_path(digest).open("rb") as f:
            while data := f.read(CHUNK):
                hasher.update(data)
                size += len(data)
    except FileNotFoundError:
        return "", -1
    return "sha256:" + hasher.hexdigest(), size


class _Walk:
    """Walks the graph from each entry, noting which entries reach each problem."""

    def __init__(self, layout: Layout, sizes: dict[str, int], corrupt: set[str]) -> None:
        self._layout = layout
        self._sizes = sizes
        self._corrupt = corrupt
        self._found: dict[tuple[str, str], tuple[str, set[str]]] = {}  # (kind, digest)
        self._docs: dict[str, Any] = {}

    def run(self, entries: list[Descriptor], report: StoreReport) -> set[str]:
        reached: set[str] = set()
        for entry in entries:
            ref = entry.annotations.get(media.REF_NAME) or entry.digest
            for desc in self._walk(entry, ref):
                reached.add(desc.digest)
        for (kind, digest), (detail, refs) in sorted(self._found.items()):
            report.problems.append(Problem(kind, digest, detail, tuple(sorted(refs))))
        return reached

    def _walk(self, root: Descriptor, ref: str) -> Iterator[Descriptor]:
        seen: set[str] = set()
        stack = [root]
        while stack:
            desc = stack.pop()
            if desc.digest in seen:
                continue
            seen.add(desc.digest)
            yield desc
            if self._check(desc, ref) and is_container(desc):
                stack.extend(reversed(self._children(desc, ref)))

    def _check(self, desc: Descriptor, ref: str) -> bool:
        """Note what is wrong with `desc`'s blob; True if its content can be read."""
        size = self._sizes.get(desc.digest)
        if size is None:
            return self._note("missing", desc.digest, f"blob {desc.digest} is missing", ref)
        if desc.digest in self._corrupt:
            return self._note(
                "corrupt", desc.digest, f"blob {desc.digest} does not match its digest", ref
            )
        if size != desc.size:
            detail = f"blob {desc.digest} has {size} bytes where {desc.size} are expected"
            self._note("size", desc.digest, detail, ref)
        return True

    def _children(self, desc: Descriptor, ref: str) -> list[Descriptor]:
        try:
            if desc.digest not in self._docs:
                with self._layout.open_blob(desc.digest) as f:
                    self._docs[desc.digest] = json.loads(f.read(MAX_JSON + 1))
            return children_of(desc, self._docs[desc.digest])
        except (SealiftError, OSError, ValueError, KeyError, TypeError, AttributeError):
            detail = f"manifest {desc.digest} is not a valid manifest or index"
            self._note("malformed", desc.digest, detail, ref)
            return []

    def _note(self, kind: str, digest: str, detail: str, ref: str) -> bool:
        self._found.setdefault((kind, digest), (detail, set()))[1].add(ref)
        return False


__all__ = ["Problem", "StoreReport", "check_layout"]
