"""Every damaged bundle is refused with the store unchanged; killed imports resume.

Flips and truncations run the import in-process (the same code the CLI calls) to stay
fast; a sample of them and every kill go through the real `sealift` CLI.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sealift.bundle.importer import ImportOptions, import_bundle
from sealift.errors import BundleError
from sealift.market.catalog import Market
from tests.conftest import run_sealift, sealift_command
from tests.integration.test_bundle_support import (
    check_store_sound,
    image,
    publish_synthetic,
    shop_store,
    store_snapshot,
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("vendor")
    shop_store(home)
    out = home.parent / "shop.tar"
    run_sealift(home, "export", "shop:1.0.0", "shop:1.1.0", "-o", str(out))
    return out


def import_in_process(home: Path, path: Path) -> None:
    options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
    import_bundle(Market(home / "store"), path, options)


def first_layer_offset(data: bytes) -> int:
    """Where the large part starts: after the last JSON blob (they are all small)."""
    return data.index(b"\0" * 512, data.index(b"index.json")) + 4096


def assert_refused_unchanged(home: Path, path: Path, before: dict[str, str]) -> None:
    with pytest.raises(BundleError):
        import_in_process(home, path)
    assert store_snapshot(home) == before
    assert not list((home / "staging" / "blobs" / "sha256").iterdir())


def test_fifty_random_byte_flips_are_refused(bundle: Path, home: Path, tmp_path: Path) -> None:
    rng = random.Random(3)
    good = bundle.read_bytes()
    Market(home / "store")
    before = store_snapshot(home)
    head_end = first_layer_offset(good)
    positions = (
        [rng.randrange(len(good)) for _ in range(25)]
        + [rng.randrange(head_end) for _ in range(20)]
        + [rng.randrange(len(good) - 10240, len(good)) for _ in range(5)]
    )
    bad = tmp_path / "bad.tar"
    for position in positions:
        data = bytearray(good)
        data[position] ^= rng.randrange(1, 256)
        bad.write_bytes(bytes(data))
        assert_refused_unchanged(home, bad, before)
    for position in positions[:3]:  # the same through the CLI: one line, exit 1
        data = bytearray(good)
        data[position] ^= 0x55
        bad.write_bytes(bytes(data))
        result = run_sealift(home, "import", str(bad), check=False)
        assert result.returncode == 1 and result.stderr.strip().splitlines()[-1].startswith(
            "error: "
        )
    assert store_snapshot(home) == before
    import_in_process(home, bundle)  # and the good bundle still imports
    check_store_sound(home)


def test_ten_truncations_are_refused(bundle: Path, home: Path, tmp_path: Path) -> None:
    rng = random.Random(4)
    good = bundle.read_bytes()
    Market(home / "store")
    before = store_snapshot(home)
    bad = tmp_path / "cut.tar"
    for cut in [rng.randrange(1, len(good)) for _ in range(10)]:
        bad.write_bytes(good[:cut])
        with pytest.raises(BundleError, match=r"truncated|ends|not a sealift bundle|corrupt"):
            import_in_process(home, bad)
        assert store_snapshot(home) == before
    result = run_sealift(home, "import", str(bad), check=False)
    assert result.returncode == 1 and "truncated" in result.stderr


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 12 MiB in 48 layers: long enough to kill an import in the middle."""
    home = tmp_path_factory.mktemp("vendor-big")
    rng = random.Random(5)
    market = Market(home / "store")
    comps = {
        name: image(market.layout, [rng.randbytes(256 * 1024) for _ in range(16)])
        for name in ("web", "api", "db")
    }
    publish_synthetic(market, "big", "1.0.0", comps)
    out = home.parent / "big.tar"
    run_sealift(home, "export", "big:1.0.0", "-o", str(out))
    return out


def staged(home: Path) -> int:
    staging = home / "staging" / "blobs" / "sha256"
    return len(list(staging.iterdir())) if staging.is_dir() else 0


def start_import(
    home: Path, path: Path, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start an import and return once it holds the staging lock (its work begins)."""
    proc = subprocess.Popen(
        sealift_command(home, "import", str(path)),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    deadline = time.monotonic() + 60
    while not (home / "staging" / ".lock").exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    return proc


def kill_import_at(home: Path, path: Path, delay: float) -> bool:
    """SIGKILL an import `delay` s after its work begins; True if it was still running."""
    proc = start_import(home, path)
    time.sleep(delay)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return killed


def test_ten_killed_imports_resume_and_reuse_blobs(big_bundle: Path, tmp_path: Path) -> None:
    proc = start_import(tmp_path / "probe", big_bundle)
    start = time.monotonic()
    assert proc.wait(timeout=120) == 0
    duration = time.monotonic() - start
    rng = random.Random(6)
    killed = reused_total = 0
    for i in range(10):
        home = tmp_path / f"site{i}"
        if not kill_import_at(home, big_bundle, rng.uniform(0, duration * 0.8)):
            continue
        killed += 1
        check_store_sound(home)
        in_staging = staged(home)
        result = run_sealift(home, "import", str(big_bundle))
        match = re.search(r"(\d+) reused", result.stderr)
        assert match, result.stderr
        assert int(match.group(1)) >= in_staging
        reused_total += int(match.group(1))
        check_store_sound(home)
        listing = json.loads(run_sealift(home, "market", "list", "--json").stdout)
        assert [(a["name"], a["version"]) for a in listing] == [("big", "1.0.0")]
    assert killed >= 6, f"only {killed} of 10 kills landed during the import"
    assert reused_total > 0
    print(f"\n{killed} imports killed; re-imports reused {reused_total} blobs in all")


def test_tmp_files_of_a_killed_import_are_dropped(big_bundle: Path, home: Path) -> None:
    tmp = home / "staging" / "tmp"
    tmp.mkdir(parents=True)
    (tmp / "blob-partial").write_bytes(os.urandom(1000))
    run_sealift(home, "import", str(big_bundle))
    assert not tmp.exists() or not list(tmp.iterdir())


def test_a_second_import_at_the_same_time_is_refused(bundle: Path, home: Path) -> None:
    from sealift.bundle.staging import Staging
    from sealift.errors import LockedError

    with Staging(home / "staging").locked(), pytest.raises(LockedError, match="another import"):
        import_in_process(home, bundle)
    import_in_process(home, bundle)
    check_store_sound(home)
