"""Where a market version came from and what its signature said (market/origin.py): the
record's annotations, its words, and how the market keeps it on the version's entry of
index.json -- the version's digest untouched, kept by gc, gone with the version."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.market import origin as og
from sealift.market.catalog import Market, version_details, version_summary
from sealift.market.origin import Origin
from sealift.oci import media
from tests.integration.test_bundle_support import shop_store

KEY = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("origin", "status", "text"),
    [
        (Origin.imported("shop.tar", og.SIGNED, KEY, "vendor"), "signed", "signed by vendor"),
        (Origin.imported("shop.tar", og.SIGNED, KEY), "signed", "signed by key sha256:abab"),
        (Origin.imported("shop.tar", og.UNSIGNED), "unsigned", "unsigned"),
        (Origin.imported("s.tar", og.NOT_VERIFIED), "not-verified", "not verified (no"),
        (Origin.published(), "published", "published here"),
        (Origin(), "unknown", "unknown"),
    ],
)
def test_the_record_reads_back_from_its_annotations(origin: Origin, status: str, text: str) -> None:
    notes = origin.annotations()
    assert all(k.startswith("dev.sealift.origin") and v for k, v in notes.items())
    back = Origin.from_annotations({**notes, media.REF_NAME: "shop:1.0.0", "other": "x"})
    assert back == origin
    assert back.status == status and back.text().startswith(text)
    assert back.to_json()["status"] == status and back.to_json()["text"] == back.text()


def test_a_store_without_a_record_or_with_a_strange_one_reads_unknown() -> None:
    assert Origin.from_annotations({}) == Origin()
    assert Origin.from_annotations({og.KIND: "copied", og.SIGNATURE: og.SIGNED}).text() == "unknown"
    assert og.without_origin({og.KIND: "imported", og.KEY: KEY, "keep": "1"}) == {"keep": "1"}


def test_only_a_checked_signature_outranks_a_weaker_record() -> None:
    signed = Origin.imported("b.tar", og.SIGNED, KEY, "vendor")
    assert signed.outranks(Origin())
    assert signed.outranks(Origin.imported("a.tar", og.UNSIGNED))
    assert signed.outranks(Origin.imported("a.tar", og.NOT_VERIFIED))
    assert not signed.outranks(Origin.published())
    assert not signed.outranks(Origin.imported("a.tar", og.SIGNED, KEY))
    assert not Origin.imported("b.tar", og.UNSIGNED).outranks(Origin())


def _entry_notes(market: Market, ref: str) -> dict[str, str]:
    return dict(market.layout.refs()[ref].annotations)


def test_the_market_keeps_the_record_on_the_version_entry(tmp_path: Path) -> None:
    market = shop_store(tmp_path)  # registered by the test helper: no record
    assert market.get("shop", "1.0.0").origin == Origin()
    before = market.get("shop", "1.0.0").digest
    signed = Origin.imported("shop-1.0.0.tar", og.SIGNED, KEY, "vendor")
    market.record_origin("shop", "1.0.0", signed)
    app = market.get("shop", "1.0.0")
    assert app.origin == signed and app.digest == before
    assert _entry_notes(market, "shop:1.0.0")[og.KEY] == KEY
    assert og.KIND not in _entry_notes(market, "shop/web:1.0.0")  # only the version's entry
    assert not set(app.descriptor.annotations) & set(og.KEYS)  # an export carries none
    assert version_summary(app)["signature"].startswith("signed by vendor")
    assert version_details(app)["origin"]["file"] == "shop-1.0.0.tar"
    assert market.layout.collect_garbage() == (0, 0)
    assert Market(tmp_path / "store").get("shop", "1.0.0").origin == signed  # read anew
    market.remove("shop", "1.0.0")
    assert set(market.layout.refs()) == {
        "shop:1.1.0",
        "shop/web:1.1.0",
        "shop/api:1.1.0",
        "shop/db:1.1.0",
    }
    assert market.get("shop", "1.1.0").origin == Origin()


def test_registering_again_with_force_replaces_the_record(tmp_path: Path) -> None:
    market = shop_store(tmp_path)
    index = market.get("shop", "1.1.0").descriptor
    unsigned = Origin.imported("a.tar", og.UNSIGNED)
    assert market.register(index, force=True, origin=unsigned).origin == unsigned
    assert market.get("shop", "1.1.0").origin == unsigned
    again = market.register(index, origin=Origin.published())  # same content: no change
    assert again.origin == unsigned == market.get("shop", "1.1.0").origin
    market.register(index, force=True, origin=Origin.published())
    assert market.get("shop", "1.1.0").origin.status == "published"
