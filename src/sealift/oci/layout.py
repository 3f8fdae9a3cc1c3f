"""The OCI image layout on disk: `oci-layout`, `index.json`, `blobs/sha256/...`.

Blobs are content-addressed and shared by everything that refers to them.
`index.json` is replaced by rename under a lock; blobs appear only complete.

Several commands may use one store at once. One rule keeps that safe:

- Whoever relies on blobs holds a *lease* (a shared flock on `.sealift-gc-lock`):
  a writer (publish, import) from before its first look at the blobs until
  index.json names the roots of what it wrote (`writing()`); a reader (export)
  for as long as it reads (`lease()`). A writer that finds a blob present and does
  not write it again is therefore safe: nothing deletes it before it is named.
- Only garbage collection deletes blobs, and only under the exclusive flock on the
  same file, i.e. while no lease is held; it deletes only what index.json does not
  reach. `market remove` and `store gc` wait for the leases to end. An operation
  cleans up only blobs it created itself that nothing names (a failed publish or
  import, the extra blobs of an OCI archive), at its end, and only if it gets the
  exclusive lock at once; otherwise they stay as harmless garbage for `store gc`.
- index.json is edited under a second flock, `.sealift-lock` (exclusive, short).
  Whoever holds both takes the lease lock first, so the two never deadlock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Set
from pathlib import Path
from typing import IO, Any

from sealift.errors import NotFoundError, SealiftError, StoreError
from sealift.files import atomic_write, fsync_dir
from sealift.formats import canonical_json
from sealift.oci import media
from sealift.oci.blobwriter import BlobWriter, store_write_error
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import check_digest, digest_bytes, hex_part

MAX_JSON = 4 * 1024 * 1024
"""Manifests, indexes and configs are small; refuse to parse anything bigger."""

CHUNK = 1024 * 1024

OCI_LAYOUT_JSON = b'{"imageLayoutVersion":"1.0.0"}'


class Layout:
    """An OCI image layout directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs_dir = root / "blobs" / "sha256"
        self.tmp_dir = root / ".sealift-tmp"
        self._lock_path = root / ".sealift-lock"
        self._lease_path = root / ".sealift-gc-lock"
        self._lease_file: IO[str] | None = None
        self._leases = 0
        self._written: set[str] | None = None  # blobs created inside writing()
        self._named: list[Descriptor] = []  # entries index.json gained inside writing()

    # -- creating and opening -------------------------------------------------

    @classmethod
    def create(cls, root: Path) -> Layout:
        """Open the layout at `root`, creating an empty one if there is none."""
        layout = cls(root)
        try:
            layout.blobs_dir.mkdir(parents=True, exist_ok=True)
            if not (root / "oci-layout").exists():
                atomic_write(root / "oci-layout", OCI_LAYOUT_JSON, tmp_dir=layout.tmp_dir)
            if not (root / "index.json").exists():
                with layout.locked():
                    if not (root / "index.json").exists():
                        layout._write_index(
                            {"schemaVersion": 2, "mediaType": media.OCI_INDEX, "manifests": []}
                        )
        except OSError as exc:
            raise store_write_error(exc) from exc
        return layout

    @classmethod
    def open(cls, root: Path) -> Layout:
        if not (root / "oci-layout").is_file() or not (root / "index.json").is_file():
            raise StoreError(f"{root} is not an OCI image layout")
        return cls(root)

    # -- blobs ----------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.blobs_dir / hex_part(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def blob_size(self, digest: str) -> int:
        try:
            return self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} is not in the store") from None

    def open_blob(self, digest: str) -> IO[bytes]:
        try:
            return self.blob_path(digest).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {digest} is not in the store") from None

    def iter_blob(self, digest: str, chunk: int = CHUNK) -> Iterator[bytes]:
        with self.open_blob(digest) as f:
            while data := f.read(chunk):
                yield data

    def read_small(self, digest: str) -> bytes:
        """The bytes of a small blob (manifest, index, config), digest verified."""
        with self.open_blob(digest) as f:
            data = f.read(MAX_JSON + 1)
        if len(data) > MAX_JSON:
            raise StoreError(f"blob {digest} is too large to be a manifest or config")
        if digest_bytes(data) != digest:
            raise StoreError(
                f"blob {digest} in the store is corrupt; remove the app versions that use "
                "it (`sealift market remove`) and publish or import them again"
            )
        return data

    def read_json(self, digest: str) -> Any:
        """Parse a small JSON blob (manifest, index, config)."""
        data = self.read_small(digest)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise StoreError(f"blob {digest} is not valid JSON: {exc}") from None

    def writer(
        self, expected_digest: str | None = None, expected_size: int | None = None
    ) -> BlobWriter:
        """A BlobWriter that lands in this layout's blobs directory."""
        if expected_digest is not None:
            check_digest(expected_digest)
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        on_commit = self.record_written if self._written is not None else None
        return BlobWriter(self.tmp_dir, self.blobs_dir, expected_digest, expected_size, on_commit)

    def record_written(self, digest: str) -> None:
        """Note a blob this operation created (one moved in from elsewhere, too), so that
        `writing()` can delete it at the end if nothing names it."""
        if self._written is not None:
            self._written.add(digest)

    def put_bytes(self, data: bytes, expected_digest: str | None = None) -> str:
        digest = digest_bytes(data)
        if self.has_blob(digest) and expected_digest in (None, digest):
            return digest
        with self.writer(expected_digest, len(data)) as w:
            w.write(data)
            return w.commit()

    def put_json(self, doc: Any, media_type: str) -> Descriptor:
        """Store `doc` as canonical JSON and return its descriptor."""
        data = canonical_json(doc)
        return Descriptor(media_type, self.put_bytes(data), len(data))

    def blob_digests(self) -> set[str]:
        if not self.blobs_dir.is_dir():
            return set()
        return {"sha256:" + p.name for p in self.blobs_dir.iterdir() if len(p.name) == 64}

    def remove_blob(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.blob_path(digest).unlink()

    def discard(self, digests: Set[str]) -> None:
        """Blobs this operation created and no longer wants: inside `writing()` they are
        left to its end (another writer may rely on them by now); outside it (a private
        layout), deleted at once."""
        if self._written is None:
            for digest in digests:
                self.remove_blob(digest)

    # -- index.json -----------------------------------------------------------

    def index(self) -> dict[str, Any]:
        try:
            with (self.root / "index.json").open("rb") as f:
                data = f.read(MAX_JSON + 1)
        except FileNotFoundError:
            raise StoreError(f"{self.root} is not an OCI image layout (no index.json)") from None
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"{self.root}/index.json is not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("manifests", []), list):
            raise StoreError(f"{self.root}/index.json is not an OCI index")
        return doc

    def entries(self) -> list[Descriptor]:
        return [Descriptor.from_json(m) for m in self.index().get("manifests", [])]

    def refs(self) -> dict[str, Descriptor]:
        """Entries of index.json by their ref name."""
        out: dict[str, Descriptor] = {}
        for entry in self.entries():
            name = entry.annotations.get(media.REF_NAME)
            if name:
                out[name] = entry
        return out

    def resolve(self, ref: str) -> Descriptor:
        found = self.refs().get(ref)
        if found is None:
            raise NotFoundError(f"{ref} is not in the store")
        return found

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the layout's write lock (index edits and garbage collection)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def editing_entries(self) -> Iterator[list[Descriptor]]:
        """Yield index.json's entries to change in place; written atomically at the end.

        Nothing is written if the block raises.
        """
        with self.locked():
            doc = self.index()
            entries = [Descriptor.from_json(m) for m in doc.get("manifests", [])]
            before = {e.digest for e in entries}
            yield entries
            doc["manifests"] = [e.to_json() for e in entries]
            self._write_index(doc)
            if self._written is not None:
                self._named.extend(e for e in entries if e.digest not in before)

    def set_ref(self, ref: str, desc: Descriptor) -> None:
        """Name `desc` as `ref` in index.json, replacing any earlier entry of that name."""
        with self.editing_entries() as entries:
            entries[:] = [e for e in entries if e.annotations.get(media.REF_NAME) != ref]
            entries.append(desc.with_annotations({**desc.annotations, media.REF_NAME: ref}))

    def _write_index(self, doc: dict[str, Any]) -> None:
        """Blobs renamed into place are made durable first: after a power loss index.json
        never names what the disk lost."""
        try:
            if self.blobs_dir.is_dir():
                fsync_dir(self.blobs_dir)
            atomic_write(self.root / "index.json", canonical_json(doc), tmp_dir=self.tmp_dir)
        except OSError as exc:
            raise store_write_error(exc) from exc

    # -- graph ----------------------------------------------------------------

    def children(self, desc: Descriptor) -> list[Descriptor]:
        """Descriptors that a manifest or index refers to (config, layers, manifests)."""
        return children_of(desc, self.read_json(desc.digest))

    def walk(self, desc: Descriptor) -> Iterator[Descriptor]:
        """`desc` and every descriptor reachable from it, each blob once."""
        return walk_graph([desc], self.children)

    def referenced_blobs(self) -> set[str]:
        return self.reachable(self.entries())

    def reachable(self, roots: Iterable[Descriptor]) -> set[str]:
        """Digests reachable from `roots`, reading manifests without checking their digest
        (a damaged manifest still keeps what it names); a missing one ends the walk there."""
        return {d.digest for d in walk_graph(roots, self._children_for_gc)}

    def _children_for_gc(self, desc: Descriptor) -> list[Descriptor]:
        try:
            with self.open_blob(desc.digest) as f:
                return children_of(desc, json.loads(f.read(MAX_JSON + 1)))
        except (SealiftError, OSError, ValueError, KeyError, TypeError, AttributeError):
            return []

    # -- concurrency: leases and garbage collection ----------------------------

    @contextlib.contextmanager
    def lease(self) -> Iterator[None]:
        """Hold a shared lease on the store: no blob is deleted meanwhile (nests)."""
        if self._leases == 0:
            self.root.mkdir(parents=True, exist_ok=True)
            lease_file = self._lease_path.open("a")
            fcntl.flock(lease_file, fcntl.LOCK_SH)
            self._lease_file = lease_file
        self._leases += 1
        try:
            yield
        finally:
            self._leases -= 1
            if self._leases == 0 and self._lease_file is not None:
                self._lease_file.close()  # closing the file releases the flock
                self._lease_file = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A lease for an operation that writes blobs and names them in index.json before
        it ends. At its end, blobs it created that nothing names are deleted if no other
        lease is held (otherwise they stay, harmless, until `store gc`)."""
        if self._written is not None:
            yield
            return
        self._written, self._named = set(), []
        try:
            with self.lease():
                yield
        finally:
            written, self._written = self._written, None
            leftover = written - self.reachable(self._named) if written else set()
            if leftover:
                with contextlib.suppress(SealiftError, OSError):
                    self.collect_garbage(leftover, wait=False)

    def collect_garbage(
        self,
        only: Set[str] | None = None,
        *,
        wait: bool = True,
        on_wait: Callable[[], None] | None = None,
    ) -> tuple[int, int] | None:
        """Delete the blobs (of `only`, if given) that index.json does not reach, under
        the exclusive lock; return (count, bytes) freed. Without `wait`, return None at
        once when a lease is held; with it, call `on_wait` and wait for the leases."""
        with self._exclusive(wait, on_wait) as got, self.locked():
            if not got:
                return None
            candidates = (self.blob_digests() if only is None else set(only)) - self.reachable(
                self.entries()
            )
            sizes = [size for d in candidates if (size := self._remove_sized(d)) is not None]
            if only is None:
                shutil.rmtree(self.tmp_dir, ignore_errors=True)  # left by killed writers
            return len(sizes), sum(sizes)

    def _remove_sized(self, digest: str) -> int | None:
        """Delete a blob; its size, or None if it was not there."""
        try:
            size = self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            return None
        self.remove_blob(digest)
        return size

    @contextlib.contextmanager
    def _exclusive(self, wait: bool, on_wait: Callable[[], None] | None) -> Iterator[bool]:
        if self._leases:
            raise StoreError("bug: garbage collection inside a lease on the same store")
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lease_path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                if on_wait is not None:
                    on_wait()
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield True


def walk_graph(
    roots: Iterable[Descriptor], children: Callable[[Descriptor], list[Descriptor]]
) -> Iterator[Descriptor]:
    """Every descriptor reachable from `roots`, each blob once, depth first in order.
    `children` is asked for manifests and indexes only, after the caller has seen them;
    an empty answer ends the walk there (a blob that is not at hand)."""
    seen: set[str] = set()
    stack = list(reversed(list(roots)))
    while stack:
        current = stack.pop()
        if current.digest in seen:
            continue
        seen.add(current.digest)
        yield current
        if is_container(current):
            stack.extend(reversed(children(current)))


def is_container(desc: Descriptor) -> bool:
    return desc.media_type in media.INDEX_TYPES or desc.media_type in media.MANIFEST_TYPES


def children_of(desc: Descriptor, doc: Any) -> list[Descriptor]:
    if not isinstance(doc, dict):
        raise StoreError(f"{desc.digest} is not a JSON object")
    if desc.media_type in media.INDEX_TYPES:
        return [Descriptor.from_json(m) for m in doc.get("manifests", [])]
    out = [Descriptor.from_json(doc["config"])] if isinstance(doc.get("config"), dict) else []
    return out + [Descriptor.from_json(layer) for layer in doc.get("layers", [])]
