"""Export and import through the real `sealift` CLI: full, differential, inventory,
split, platform and signed bundles, and their error paths."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from sealift.market.catalog import Market
from tests.conftest import run_sealift
from tests.integration.test_bundle_support import check_store_sound, shop_store, store_snapshot


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("vendor")
    shop_store(home)
    return home


@pytest.fixture(scope="module")
def full(vendor: Path) -> Path:
    out = vendor.parent / "full.tar"
    run_sealift(vendor, "export", "shop:1.0.0", "shop:1.1.0", "-o", str(out))
    return out


def market_digests(home: Path) -> dict[str, str]:
    listing = json.loads(run_sealift(home, "market", "list", "--json").stdout)
    return {f"{a['name']}:{a['version']}": a["digest"] for a in listing}


def fails(home: Path, *args: str) -> str:
    result = run_sealift(home, *args, check=False)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in result.stderr
    return lines[-1]


def test_full_bundle_round_trip_shares_blobs(vendor: Path, full: Path, home: Path) -> None:
    with tarfile.open(full) as tar:
        names = tar.getnames()
    market = Market(vendor / "store")
    both = set().union(*(market.blobs(a) for a in market.list()))
    assert names[:3] == ["sealift-bundle.json", "oci-layout", "index.json"]
    assert len(names) == len(set(names)) == 3 + len(both)
    run_sealift(home, "import", str(full))
    assert market_digests(home) == market_digests(vendor)
    check_store_sound(home)
    again = run_sealift(home, "import", str(full))
    assert "shop:1.0.0 was already in the store" in again.stderr
    assert not list((home / "staging" / "blobs" / "sha256").iterdir())


def test_inspect_shows_contents_and_check_finds_corruption(
    full: Path, home: Path, tmp_path: Path
) -> None:
    info = json.loads(run_sealift(home, "bundle", "inspect", str(full), "--json").stdout)
    assert [(a["name"], a["version"]) for a in info["apps"]] == [
        ("shop", "1.0.0"),
        ("shop", "1.1.0"),
    ]
    web = info["apps"][0]["components"][0]
    assert web["name"] == "web" and web["platforms"] == ["linux/amd64", "linux/arm64"]
    assert info["platforms"] == ["linux/amd64", "linux/arm64"] and not info["differential"]
    assert (
        "every blob matches" in run_sealift(home, "bundle", "inspect", str(full), "--check").stdout
    )
    bad = tmp_path / "bad.tar"
    data = bytearray(full.read_bytes())
    data[-20000] ^= 0xFF  # inside the last layer
    bad.write_bytes(bytes(data))
    run_sealift(home, "bundle", "inspect", str(bad))  # the head is intact
    assert "does not match its digest" in fails(home, "bundle", "inspect", str(bad), "--check")


def test_differential_since_leaves_out_the_base(vendor: Path, full: Path, home: Path) -> None:
    diff = vendor.parent / "diff.tar"
    run_sealift(vendor, "export", "shop:1.1.0", "--since", "1.0.0", "-o", str(diff))
    market = Market(vendor / "store")
    v1, v2 = market.get("shop", "1.0.0"), market.get("shop", "1.1.0")
    with tarfile.open(diff) as tar:
        carried = {"sha256:" + n.rsplit("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert carried == market.blobs(v2) - market.blobs(v1)
    changed = sum(market.layout.blob_size(d) for d in carried)
    assert diff.stat().st_size <= changed + 1024 * 1024
    shown = dict(
        line.split(maxsplit=1)
        for line in run_sealift(home, "bundle", "inspect", str(diff)).stdout.splitlines()
        if line.startswith("  ")
    )
    assert shown["web"] == shown["db"] == "unchanged: all of it is in the base"
    assert shown["api"].startswith("linux/amd64") and shown["api"].endswith("(partly in the base)")
    message = fails(home, "import", str(diff))
    assert (
        "shop:1.0.0" in message
        and f"leaves out {len(market.blobs(v1) & market.blobs(v2))}" in message
    )
    assert store_snapshot(home) == {
        "index.json": store_snapshot(home)["index.json"],
        "oci-layout": store_snapshot(home)["oci-layout"],
    }
    single = vendor.parent / "v1.tar"
    run_sealift(vendor, "export", "shop:1.0.0", "-o", str(single))
    run_sealift(home, "import", str(single))
    run_sealift(home, "import", str(diff))
    assert market_digests(home) == market_digests(vendor)
    check_store_sound(home)


def test_inventory_for_site_bundle(vendor: Path, home: Path, tmp_path: Path) -> None:
    single = tmp_path / "v1.tar"
    run_sealift(vendor, "export", "shop:1.0.0", "-o", str(single))
    run_sealift(home, "import", str(single))
    inventory = tmp_path / "site.json"
    run_sealift(home, "inventory", "-o", str(inventory))
    doc = json.loads(inventory.read_text())
    assert [a["version"] for a in doc["apps"]] == ["1.0.0"] and len(doc["blobs"]) > 10
    for_site = tmp_path / "for-site.tar"
    run_sealift(vendor, "export", "shop:1.1.0", "--for", str(inventory), "-o", str(for_site))
    since = tmp_path / "since.tar"
    run_sealift(vendor, "export", "shop:1.1.0", "--since", "1.0.0", "-o", str(since))
    by_name = tmp_path / "since-by-name.tar"
    run_sealift(vendor, "export", "shop:1.1.0", "--since", "shop:1.0.0", "-o", str(by_name))
    assert for_site.stat().st_size == since.stat().st_size == by_name.stat().st_size
    assert "shop:1.0.0" in fails(tmp_path / "empty", "import", str(for_site))
    run_sealift(home, "import", str(for_site))
    assert market_digests(home) == market_digests(vendor)
    inventory.write_text("{not json")
    assert "not valid JSON" in fails(
        vendor, "export", "shop:1.1.0", "--for", str(inventory), "-o", str(tmp_path / "x.tar")
    )


def test_split_parts_import_from_any_name_and_name_a_bad_part(
    full: Path, vendor: Path, tmp_path: Path
) -> None:
    out = tmp_path / "split.tar"
    run_sealift(vendor, "export", "shop:1.0.0", "shop:1.1.0", "--split", "100K", "-o", str(out))
    parts = sorted(tmp_path.glob("split.tar.part*"))
    assert len(parts) == 7 and not out.exists()
    assert all(p.stat().st_size == 100 * 1024 for p in parts[:-1])
    joined = tmp_path / "joined.tar"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(joined) as tar, tarfile.open(full) as whole:
        assert tar.getnames() == whole.getnames()
    for i, given in enumerate([out, parts[0], parts[3]]):
        home = tmp_path / f"site{i}"
        run_sealift(home, "import", str(given))
        assert market_digests(home) == market_digests(vendor)
    empty = tmp_path / "empty"
    saved = parts[2].read_bytes()
    corrupt = bytearray(saved)
    corrupt[50000] ^= 0x01
    parts[2].write_bytes(bytes(corrupt))
    assert "split.tar.part003" in fails(empty, "import", str(out))
    parts[2].unlink()
    assert "split.tar.part003 is missing" in fails(empty, "import", str(out))
    parts[2].write_bytes(saved)
    parts[-1].unlink()
    assert "split.tar.part007 is missing" in fails(empty, "import", str(parts[0]))
    assert market_digests(empty) == {}


def test_platform_filter_rewrites_the_app_index(vendor: Path, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "amd64.tar"
    run_sealift(vendor, "export", "shop:1.0.0", "--platform", "linux/amd64", "-o", str(out))
    info = json.loads(run_sealift(home, "bundle", "inspect", str(out), "--json").stdout)
    assert info["platforms"] == ["linux/amd64"]
    assert {tuple(c["platforms"]) for c in info["apps"][0]["components"]} == {("linux/amd64",)}
    assert info["apps"][0]["digest"] != market_digests(vendor)["shop:1.0.0"]
    run_sealift(home, "import", str(out))
    assert market_digests(home) == {"shop:1.0.0": info["apps"][0]["digest"]}
    check_store_sound(home)
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", f"oci-archive:{out}:shop/web:1.0.0"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert [m["platform"]["architecture"] for m in json.loads(raw)["manifests"]] == ["amd64"]
    bad = tmp_path / "arm64.tar"
    message = fails(vendor, "export", "shop:1.0.0", "--platform", "linux/arm64", "-o", str(bad))
    assert "component api" in message and "linux/arm64" in message
    assert not list(tmp_path.glob("arm64.tar*"))


def test_signed_bundles_and_trusted_keys(vendor: Path, tmp_path: Path) -> None:
    run_sealift(vendor, "keygen", "-o", str(tmp_path / "vendor"))
    run_sealift(vendor, "keygen", "-o", str(tmp_path / "other"))
    signed, unsigned = tmp_path / "signed.tar", tmp_path / "unsigned.tar"
    run_sealift(
        vendor, "export", "shop:1.0.0", "--sign", str(tmp_path / "vendor.key"), "-o", str(signed)
    )
    run_sealift(vendor, "export", "shop:1.0.0", "-o", str(unsigned))
    with tarfile.open(signed) as tar:
        assert tar.getnames()[:2] == ["sealift-bundle.json", "sealift-bundle.json.sig"]
    site = tmp_path / "site"
    assert "another key" in fails(
        site, "import", str(signed), "--verify", str(tmp_path / "other.pub")
    )
    assert "not signed" in fails(
        site, "import", str(unsigned), "--verify", str(tmp_path / "vendor.pub")
    )
    tampered = tmp_path / "tampered.tar"
    data = signed.read_bytes()
    at = data.index(b'"signature":"') + 20
    other = b"B" if data[at : at + 1] == b"A" else b"A"  # still base64: a wrong signature
    tampered.write_bytes(data[:at] + other + data[at + 1 :])
    assert "bad signature" in fails(
        site, "import", str(tampered), "--verify", str(tmp_path / "vendor.pub")
    )
    assert market_digests(site) == {}
    (site / "trust").mkdir()
    shutil.copy(tmp_path / "vendor.pub", site / "trust" / "vendor.pub")
    assert "not signed" in fails(site, "import", str(unsigned))
    result = run_sealift(site, "import", str(signed))
    assert "signature good" in result.stderr
    assert "(trusted)" in run_sealift(site, "bundle", "inspect", str(signed)).stdout


def test_import_with_no_network(full: Path, home: Path, vendor: Path) -> None:
    exe = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sealift"
    result = subprocess.run(
        ["unshare", "-n", str(exe), "--home", str(home), "import", str(full)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert market_digests(home) == market_digests(vendor)


def test_export_errors_leave_no_file(vendor: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.tar"
    assert "shop:9.9.9 is not in the market" in fails(
        vendor, "export", "shop:9.9.9", "-o", str(out)
    )
    assert (
        "not a size"
        in run_sealift(
            vendor, "export", "shop:1.0.0", "--split", "4X", "-o", str(out), check=False
        ).stderr
    )
    copy = tmp_path / "vendor-copy"
    shutil.copytree(vendor, copy)
    market = Market(copy / "store")
    layer = next(
        d for d in market.blobs(market.get("shop", "1.0.0")) if market.layout.blob_size(d) > 60000
    )
    market.layout.remove_blob(layer)
    assert "missing from the store" in fails(copy, "export", "shop:1.0.0", "-o", str(out))
    assert list(tmp_path.glob("x.tar*")) == []


def test_outputs_refuse_to_replace_a_device_or_directory(vendor: Path, tmp_path: Path) -> None:
    """`-o /dev/null` must not rename a file over the device (a FIFO stands in for it)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (["export", "shop:1.0.0"], ["inventory"]):
        assert f"{fifo} is not a regular file" in fails(vendor, *args, "-o", str(fifo))
        assert fifo.is_fifo()
    outputs = tmp_path / "out"
    outputs.mkdir()
    for args in (["export", "shop:1.0.0"], ["inventory"]):
        result = run_sealift(vendor, *args, "-o", str(outputs), check=False)
        assert result.returncode == 2 and "is a directory" in result.stderr, result.stderr
    for bad, said in (
        (["shop", "-o", str(tmp_path / "b.tar")], "error: 'shop' is not NAME:VERSION"),
        (["shop:1.0.0", "-o", str(tmp_path / "typo" / "b.tar")], "error: directory "),
    ):
        result = run_sealift(vendor, "export", *bad, check=False)
        assert result.returncode == 1 and result.stderr.startswith(said), result.stderr
        assert "==>" not in result.stderr  # refused before anything was announced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "out"]
    assert list(outputs.iterdir()) == []


def test_gnu_tar_reads_the_bundle_and_large_data_is_page_aligned(
    full: Path, tmp_path: Path
) -> None:
    """docs/bundle-format.md: a plain tar for other tools; data of members >= 64 KiB at
    4 KiB boundaries."""
    listed = subprocess.run(["tar", "-tf", str(full)], capture_output=True, text=True, check=True)
    with tarfile.open(full) as tar:
        members = tar.getmembers()
    assert listed.stdout.split() == [m.name for m in members]
    large = [m for m in members if m.size >= 64 * 1024]
    assert large and all(m.offset_data % 4096 == 0 for m in large)
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(full), "-C", str(out)], check=True)
    for blob in (out / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
