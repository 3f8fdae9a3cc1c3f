"""`sealift-bundle.json`: the table of contents that opens every bundle.

It lists the app versions inside, the platforms, the digest of `index.json`, every
blob (digest, size, kind) in member order, and for a differential bundle the base
versions whose blobs were left out. A `checksum` over the rest makes any changed
byte visible even in an unsigned bundle; the file must be canonical JSON.

A bundle may carry the site runtime, `sealift.pyz`, as the member after the signature;
the optional `runtime` key then gives its digest, size, version and platforms (a bundle
without it has no such key, so older readers still read it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sealift.bundle import safejson
from sealift.errors import BundleError
from sealift.formats import canonical_json
from sealift.oci.digest import is_digest

SCHEMA = "sealift-bundle/v1"
NAME = "sealift-bundle.json"
SIG_NAME = "sealift-bundle.json.sig"
MAX_SIZE = 32 * 1024 * 1024
KINDS = ("json", "layer")
RUNTIME_NAME = "sealift.pyz"
RUNTIME_KEYS = {"member", "digest", "size", "sealift", "id", "pythons", "machines", "glibc"}


@dataclass(frozen=True)
class AppRef:
    name: str
    version: str
    digest: str
    size: int = 0

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class BlobEntry:
    digest: str
    size: int
    kind: str  # "json" (manifest, index, config) or "layer"

    @property
    def member(self) -> str:
        return "blobs/sha256/" + self.digest.split(":", 1)[1]


@dataclass(frozen=True)
class RuntimeEntry:
    """The site runtime the bundle carries as member `sealift.pyz`."""

    digest: str
    size: int
    sealift: str
    runtime_id: str
    pythons: list[str]
    machines: list[str]
    glibc: str

    def to_json(self) -> dict[str, Any]:
        return {
            "member": RUNTIME_NAME,
            "digest": self.digest,
            "size": self.size,
            "sealift": self.sealift,
            "id": self.runtime_id,
            "pythons": list(self.pythons),
            "machines": list(self.machines),
            "glibc": self.glibc,
        }


@dataclass(frozen=True)
class BundleManifest:
    creator: str
    created: str
    apps: list[AppRef]
    platforms: list[str]
    index: BlobEntry
    blobs: list[BlobEntry]
    bases: list[AppRef] = field(default_factory=list)
    left_out: int = 0
    left_out_bytes: int = 0
    size: int = 0
    part_size: int = 0
    runtime: RuntimeEntry | None = None

    @property
    def differential(self) -> bool:
        return bool(self.bases) or self.left_out > 0

    def body(self) -> dict[str, Any]:
        runtime = {"runtime": self.runtime.to_json()} if self.runtime else {}
        return runtime | {
            "schema": SCHEMA,
            "creator": self.creator,
            "created": self.created,
            "apps": [_app_json(a) for a in self.apps],
            "platforms": list(self.platforms),
            "index": _blob_json(self.index),
            "blobs": [_blob_json(b) for b in self.blobs],
            "bases": [_app_json(a) for a in self.bases],
            "left_out": self.left_out,
            "left_out_bytes": self.left_out_bytes,
            "size": self.size,
            "part_size": self.part_size,
        }

    def to_bytes(self) -> bytes:
        body = self.body()
        return canonical_json({**body, "checksum": checksum(body)}, ascii_only=True)


def checksum(body: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(body, ascii_only=True)).hexdigest()


def parse(data: bytes) -> BundleManifest:
    """Parse and check `sealift-bundle.json`; BundleError names the first problem."""
    doc = safejson.load_object(data, NAME, max_size=MAX_SIZE)
    if doc.get("schema") != SCHEMA:
        raise BundleError(
            f"{NAME}: unsupported format {str(doc.get('schema'))[:40]!r} "
            f"(this sealift reads {SCHEMA}); use a newer sealift"
        )
    body = {k: v for k, v in doc.items() if k != "checksum"}
    if doc.get("checksum") != checksum(body) or canonical_json(doc, ascii_only=True) != data:
        raise BundleError.corrupt(f"the checksum of {NAME} does not match")
    optional = {"runtime"} & set(doc)
    _expect_keys(
        doc,
        optional
        | {
            "schema",
            "creator",
            "created",
            "apps",
            "platforms",
            "index",
            "blobs",
            "bases",
            "left_out",
            "left_out_bytes",
            "size",
            "part_size",
            "checksum",
        },
    )
    manifest = BundleManifest(
        creator=_str(doc, "creator"),
        created=_str(doc, "created"),
        apps=[_app(a) for a in _list(doc, "apps")],
        platforms=[_plain_str(p, "platforms") for p in _list(doc, "platforms")],
        index=_blob(doc["index"]),
        blobs=[_blob(b) for b in _list(doc, "blobs")],
        bases=[_app(a) for a in _list(doc, "bases")],
        left_out=_int(doc, "left_out"),
        left_out_bytes=_int(doc, "left_out_bytes"),
        size=_int(doc, "size"),
        part_size=_int(doc, "part_size"),
        runtime=_runtime(doc["runtime"]) if optional else None,
    )
    _check_consistent(manifest)
    return manifest


def _check_consistent(m: BundleManifest) -> None:
    if not m.apps:
        raise BundleError(f"{NAME} lists no app version")
    digests = [b.digest for b in m.blobs]
    if len(set(digests)) != len(digests):
        raise BundleError(f"{NAME} lists a blob twice")
    missing = [a.ref for a in m.apps if a.digest not in set(digests)]
    if missing:
        raise BundleError(f"{NAME}: app index of {missing[0]} is not among the blobs")


def _app_json(a: AppRef) -> dict[str, Any]:
    return {"name": a.name, "version": a.version, "digest": a.digest, "size": a.size}


def _blob_json(b: BlobEntry) -> dict[str, Any]:
    return {"digest": b.digest, "size": b.size, "kind": b.kind}


def _expect_keys(doc: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise BundleError(f"{NAME}: unknown key {unknown[0][:40]!r}")
    missing = sorted(allowed - set(doc))
    if missing:
        raise BundleError(f"{NAME}: missing key {missing[0]!r}")


def _app(raw: Any) -> AppRef:
    if not isinstance(raw, dict):
        raise BundleError(f"{NAME}: an app entry is not an object")
    _expect_keys(raw, {"name", "version", "digest", "size"})
    return AppRef(_str(raw, "name"), _str(raw, "version"), _digest(raw), _int(raw, "size"))


def _runtime(raw: Any) -> RuntimeEntry:
    if not isinstance(raw, dict):
        raise BundleError(f"{NAME}: runtime is not an object")
    _expect_keys(raw, RUNTIME_KEYS)
    if raw["member"] != RUNTIME_NAME or not raw["pythons"] or not raw["machines"]:
        raise BundleError(f"{NAME}: the runtime entry is malformed")
    return RuntimeEntry(
        digest=_digest(raw),
        size=_int(raw, "size"),
        sealift=_str(raw, "sealift"),
        runtime_id=_str(raw, "id"),
        pythons=[_plain_str(p, "pythons") for p in _list(raw, "pythons")],
        machines=[_plain_str(m, "machines") for m in _list(raw, "machines")],
        glibc=_str(raw, "glibc"),
    )


def _blob(raw: Any) -> BlobEntry:
    if not isinstance(raw, dict):
        raise BundleError(f"{NAME}: a blob entry is not an object")
    _expect_keys(raw, {"digest", "size", "kind"})
    kind = _str(raw, "kind")
    if kind not in KINDS:
        raise BundleError(f"{NAME}: unknown blob kind {kind[:20]!r}")
    return BlobEntry(_digest(raw), _int(raw, "size"), kind)


def _digest(raw: dict[str, Any]) -> str:
    value = _str(raw, "digest")
    if not is_digest(value):
        raise BundleError(f"{NAME}: {value[:80]!r} is not a sha256 digest")
    return value


def _str(raw: dict[str, Any], key: str) -> str:
    return _plain_str(raw.get(key), key)


def _plain_str(value: Any, key: str) -> str:
    if not isinstance(value, str) or len(value) > 256:
        raise BundleError(f"{NAME}: {key} must be a short string")
    return value


def _int(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BundleError(f"{NAME}: {key} must be a non-negative integer")
    return value


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        raise BundleError(f"{NAME}: {key} must be a list")
    return value
