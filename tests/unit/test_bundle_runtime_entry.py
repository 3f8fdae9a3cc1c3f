"""The optional `runtime` entry of sealift-bundle.json: absent unless a runtime is carried
(older readers still read such bundles), checked like every other entry."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sealift.bundle import manifest as bm
from sealift.errors import BundleError
from sealift.formats import canonical_json

D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64
D3 = "sha256:" + "c" * 64
RUNTIME = bm.RuntimeEntry(D3, 39_000_000, "0.1.0", "0123456789abcdef", ["3.9", "3.13"],
                          ["x86_64", "aarch64"], "2.28")  # fmt: skip


def plain() -> bm.BundleManifest:
    return bm.BundleManifest(
        creator="sealift 0.1.0",
        created="2026-01-01T00:00:00Z",
        apps=[bm.AppRef("shop", "1.0.0", D1, 10)],
        platforms=["linux/amd64"],
        index=bm.BlobEntry(D2, 5, "json"),
        blobs=[bm.BlobEntry(D1, 10, "json")],
    )


def resealed(doc: dict[str, object]) -> bytes:
    """The document with a checksum that matches (a forger can do that; a signature not)."""
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return canonical_json({**body, "checksum": bm.checksum(body)}, ascii_only=True)


def test_a_bundle_without_a_runtime_has_no_runtime_key() -> None:
    assert "runtime" not in json.loads(plain().to_bytes())
    assert bm.parse(plain().to_bytes()).runtime is None


def test_the_runtime_entry_round_trips() -> None:
    carrying = replace(plain(), runtime=RUNTIME)
    doc = json.loads(carrying.to_bytes())
    assert doc["runtime"]["member"] == "sealift.pyz"
    assert bm.parse(carrying.to_bytes()) == carrying


@pytest.mark.parametrize(
    ("key", "value"),
    [("member", "evil.sh"), ("digest", "sha256:xyz"), ("size", -1), ("pythons", []), ("glibc", 2)],
)
def test_a_malformed_runtime_entry_is_refused(key: str, value: object) -> None:
    doc = json.loads(replace(plain(), runtime=RUNTIME).to_bytes())
    doc["runtime"][key] = value
    with pytest.raises(BundleError):
        bm.parse(resealed(doc))


def test_an_unknown_key_in_the_runtime_entry_is_refused() -> None:
    doc = json.loads(replace(plain(), runtime=RUNTIME).to_bytes())
    doc["runtime"]["url"] = "http://example.invalid/sealift.pyz"
    with pytest.raises(BundleError, match="unknown key 'url'"):
        bm.parse(resealed(doc))
