"""Who signed what, kept by the market itself: bundles imported with the real `sealift
import` (signed and checked with --verify, differential and unsigned, signed but with no
key to check it), then what `market list --json`, `market show` and a real console's market
pages say of each version, and that the record survives `store gc` and a differential
import and goes with `market remove`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_sealift
from tests.consoleserver import console, login
from tests.integration.test_bundle_support import shop_store


def listing(home: Path) -> dict[str, dict[str, Any]]:
    found = json.loads(run_sealift(home, "market", "list", "--json").stdout)
    return {f"{a['name']}:{a['version']}": a for a in found}


def statuses(home: Path) -> dict[str, str]:
    return {ref: a["origin"]["status"] for ref, a in listing(home).items()}


def test_the_market_says_who_signed_each_version(tmp_path: Path) -> None:
    vendor, site = tmp_path / "vendor", tmp_path / "site"
    shop_store(vendor)  # named without a record, as a store of an older sealift
    assert statuses(vendor) == {"shop:1.0.0": "unknown", "shop:1.1.0": "unknown"}
    run_sealift(vendor, "keygen", "-o", str(tmp_path / "vendor"))
    signed, diff = tmp_path / "shop-1.0.0.tar", tmp_path / "shop-1.1.0.tar"
    key = ("--sign", str(tmp_path / "vendor.key"))
    run_sealift(vendor, "export", "shop:1.0.0", *key, "-o", str(signed))
    run_sealift(vendor, "export", "shop:1.1.0", "--since", "1.0.0", "-o", str(diff))

    run_sealift(site, "import", str(signed), "--verify", str(tmp_path / "vendor.pub"))
    run_sealift(site, "import", str(diff))  # differential, unsigned, no key at the site
    run_sealift(site, "store", "gc")
    versions = listing(site)
    first, second = versions["shop:1.0.0"], versions["shop:1.1.0"]
    assert first["signature"] == "signed by vendor"
    assert first["origin"]["key_name"] == "vendor" and first["origin"]["file"] == signed.name
    assert first["origin"]["key"].startswith("sha256:") and first["origin"]["at"]
    assert second["signature"] == "unsigned" and second["origin"]["from"] == "imported"
    assert first["digest"] == listing(vendor)["shop:1.0.0"]["digest"]  # content untouched
    shown = run_sealift(site, "market", "show", "shop:1.0.0").stdout
    assert (
        f"signature  signed by vendor (key {first['origin']['key']})" in shown
        and f"imported from {signed.name}" in shown
    )
    wide = run_sealift(site, "market", "list", env={"COLUMNS": "200"}).stdout
    assert "signed by vendor" in wide and "unsigned" in wide

    (tmp_path / "media").mkdir()
    with console(site, tmp_path / "media") as running, running.client() as client:
        login(client)
        market = client.get("/market").text
        assert ">signed by vendor<" in market and ">unsigned<" in market
        assert "signed by vendor" in client.get("/market/shop/1.0.0").text
        assert ">unsigned<" in client.get("/market/shop/1.1.0").text

    run_sealift(site, "market", "remove", "shop:1.1.0")
    assert statuses(site) == {"shop:1.0.0": "signed"}


def test_a_signature_no_key_checked_is_said_so_until_a_key_checks_it(tmp_path: Path) -> None:
    vendor, site = tmp_path / "vendor", tmp_path / "site"
    shop_store(vendor)
    run_sealift(vendor, "keygen", "-o", str(tmp_path / "vendor"))
    signed = tmp_path / "signed.tar"
    run_sealift(
        vendor, "export", "shop:1.0.0", "--sign", str(tmp_path / "vendor.key"), "-o", str(signed)
    )
    unchecked = run_sealift(site, "import", str(signed))
    assert "signed, but no trusted key was there to check it" in unchecked.stderr
    assert listing(site)["shop:1.0.0"]["signature"] == "not verified (no trusted key)"
    again = run_sealift(site, "import", str(signed), "--verify", str(tmp_path / "vendor.pub"))
    assert "already in the store" in again.stderr
    assert statuses(site) == {"shop:1.0.0": "signed"}  # checked now: the record says so
    run_sealift(site, "import", str(signed))  # a weaker word does not replace it
    assert statuses(site) == {"shop:1.0.0": "signed"}
