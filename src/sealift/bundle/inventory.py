"""What a site's store holds: its app versions and every blob digest, as a small JSON
file carried back to the vendor so `export --for` can leave those blobs out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sealift import __version__
from sealift.bundle import safejson
from sealift.bundle.manifest import AppRef
from sealift.errors import BundleError, SealiftError
from sealift.files import atomic_write
from sealift.formats import canonical_json, utc_timestamp
from sealift.market.catalog import Market
from sealift.oci.digest import is_digest

SCHEMA = "sealift-inventory/v1"
MAX_SIZE = 256 * 1024 * 1024


@dataclass(frozen=True)
class Inventory:
    apps: list[AppRef]
    blobs: frozenset[str]
    created: str = ""

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "schema": SCHEMA,
                "creator": f"sealift {__version__}",
                "created": self.created,
                "apps": [
                    {"name": a.name, "version": a.version, "digest": a.digest} for a in self.apps
                ],
                "blobs": sorted(self.blobs),
            },
            ascii_only=True,
        )


def take(market: Market) -> Inventory:
    """The inventory of `market`'s store (only blobs that some app version reaches)."""
    apps = market.list()
    blobs: set[str] = set()
    for app in apps:
        blobs |= market.blobs(app)
    now = utc_timestamp()
    return Inventory(
        [AppRef(a.name, a.version, a.descriptor.digest) for a in apps], frozenset(blobs), now
    )


def write(inventory: Inventory, path: Path) -> None:
    try:
        atomic_write(path, inventory.to_bytes())
    except OSError as exc:
        raise SealiftError(f"cannot write {path}: {exc.strerror}") from None


def read(path: Path) -> Inventory:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SIZE + 1)
    except OSError as exc:
        raise SealiftError(f"cannot read inventory {path}: {exc.strerror}") from None
    doc = safejson.load_object(data, f"inventory {path.name}", max_size=MAX_SIZE)
    if doc.get("schema") != SCHEMA:
        raise BundleError(
            f"{path} is not a sealift inventory (make one with "
            "`sealift inventory -o FILE` at the site)"
        )
    apps, blobs = doc.get("apps"), doc.get("blobs")
    if not isinstance(apps, list) or not isinstance(blobs, list):
        raise _corrupt(path, "apps and blobs must be lists")
    if not all(isinstance(b, str) and is_digest(b) for b in blobs):
        raise _corrupt(path, "a blob is not a sha256 digest")
    return Inventory([_app(a, path) for a in apps], frozenset(blobs), str(doc.get("created")))


def _app(raw: object, path: Path) -> AppRef:
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), str) for k in ("name", "version", "digest")
    ):
        raise _corrupt(path, "bad app entry")
    return AppRef(raw["name"], raw["version"], raw["digest"])


def _corrupt(path: Path, detail: str) -> BundleError:
    return BundleError(
        f"inventory {path} is corrupt: {detail}; make it again with "
        "`sealift inventory -o FILE` at the site"
    )


__all__ = ["Inventory", "read", "take", "write"]
