"""Export and import when the disk fills up or the user presses Ctrl-C: one line, exit
code 1 or 130, and nothing changed (no half file, store and market as before)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealift.market.catalog import Market
from tests.conftest import run_sealift, sealift_command
from tests.integration.test_bundle_reliability import big_bundle, start_import  # noqa: F401
from tests.integration.test_bundle_support import (
    check_store_sound,
    image,
    publish_synthetic,
    store_snapshot,
)


@contextlib.contextmanager
def small_disk(where: Path, size: int) -> Iterator[Path]:
    """A tmpfs of `size` bytes."""
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture(scope="module")
def large_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app of 96 MiB: its export takes long enough to be interrupted."""
    home = tmp_path_factory.mktemp("large")
    market = Market(home / "store")
    layers = [os.urandom(8 * 1024 * 1024) for _ in range(12)]
    publish_synthetic(market, "large", "1.0.0", {"web": image(market.layout, layers)})
    return home


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_import_refused_up_front_when_the_disk_is_too_small(
    big_bundle: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk", 6 * 1024 * 1024) as disk:
        home = disk / "home"
        run_sealift(home, "market", "list")  # an empty store
        before = store_snapshot(home)
        result = run_sealift(home, "import", str(big_bundle), check=False)
        assert result.returncode == 1
        assert re.match(
            r"error: the import needs 12\.\d MiB but .*/disk/home/staging has [\d.]+ MiB free; "
            r"free some space",
            last_line(result),
        ), result.stderr
        assert store_snapshot(home) == before
        assert not list((home / "staging" / "blobs" / "sha256").iterdir())


def test_disk_full_midway_through_an_import(tmp_path: Path) -> None:
    """300 layers of one page and one byte: by their bytes (1.2 MiB) they fit the 1.75 MiB
    disk, so the early check passes, but each takes two pages (2.3 MiB) and the disk fills
    up on the way."""
    vendor = tmp_path / "vendor"
    market = Market(vendor / "store")
    layers = [os.urandom(4097) for _ in range(300)]
    publish_synthetic(market, "odd", "1.0.0", {"web": image(market.layout, layers)})
    bundle = tmp_path / "odd.tar"
    run_sealift(vendor, "export", "odd:1.0.0", "-o", str(bundle))
    with small_disk(tmp_path / "disk", 1792 * 1024) as disk:
        home = disk / "home"
        run_sealift(home, "market", "list")
        before = store_snapshot(home)
        result = run_sealift(home, "import", str(bundle), check=False)
        assert result.returncode == 1
        assert last_line(result).startswith("error: no space left on device"), result.stderr
        assert store_snapshot(home) == before
        assert not list((home / "staging" / "tmp").glob("*"))
        check_store_sound(home)


def test_export_refused_up_front_when_the_disk_is_too_small(
    big_bundle: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    run_sealift(site, "import", str(big_bundle))
    with small_disk(tmp_path / "disk", 6 * 1024 * 1024) as disk:
        result = run_sealift(site, "export", "big:1.0.0", "-o", str(disk / "b.tar"), check=False)
        assert result.returncode == 1
        assert re.match(
            r"error: the bundle needs 12\.\d MiB but .*/disk has [\d.]+ MiB free; free some",
            last_line(result),
        ), result.stderr
        assert list(disk.iterdir()) == []


def test_ctrl_c_during_import(large_home: Path, tmp_path: Path) -> None:
    """Interrupted at several moments: the store stays sound and names nothing new; the
    next import completes (reusing what was verified)."""
    bundle = tmp_path / "large.tar"
    run_sealift(large_home, "export", "large:1.0.0", "-o", str(bundle))
    home = tmp_path / "site"
    interrupted = 0
    for delay in (0.0, 0.05, 0.1, 0.2, 0.4):
        proc = start_import(home, bundle, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, said = proc.communicate(timeout=60)
        check_store_sound(home)
        if proc.returncode != 130:  # it had finished
            assert proc.returncode in (0, -signal.SIGINT), said
            break
        interrupted += 1
        assert said.decode().strip().splitlines()[-1] == "error: interrupted; nothing was changed"
        assert run_sealift(home, "market", "list", "--json").stdout.strip() == "[]"
    assert interrupted >= 2
    run_sealift(home, "import", str(bundle))
    check_store_sound(home)
    assert "large  1.0.0" in run_sealift(home, "market", "list").stdout


def test_ctrl_c_during_export(large_home: Path, tmp_path: Path) -> None:
    """Each run either finishes (a whole bundle) or leaves nothing; most are interrupted."""
    interrupted, sizes = 0, set()
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2, 2.0):
        out = tmp_path / f"out{delay}"
        out.mkdir()
        proc = subprocess.Popen(
            sealift_command(large_home, "export", "large:1.0.0", "-o", str(out / "b.tar")),
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        proc.stderr.readline()  # "==> exporting ...": the export has begun
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode == 130:
            interrupted += 1
            assert stderr.strip().splitlines()[-1].startswith("error: interrupted"), stderr
            assert list(out.iterdir()) == []
        else:  # done before the signal landed (-2: it landed while Python was exiting)
            assert proc.returncode in (0, -signal.SIGINT), stderr
            assert "==> wrote b.tar" in stderr
            assert [p.name for p in out.iterdir()] == ["b.tar"]
            sizes.add((out / "b.tar").stat().st_size)
    assert interrupted >= 2 and len(sizes) == 1  # the last run (2 s) finished


def test_file_size_limit_names_split_and_split_works(large_home: Path, tmp_path: Path) -> None:
    """A file-size limit (as on FAT32 media; RLIMIT_FSIZE stands in for it) fails with
    EFBIG: the error says to split, and the split export fits."""
    limit = ["prlimit", f"--fsize={32 * 1024 * 1024}", "--"]
    out = tmp_path / "usb"
    out.mkdir()
    args = ["export", "large:1.0.0", "-o", str(out / "b.tar")]
    result = subprocess.run(
        [*limit, *sealift_command(large_home, *args)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert last_line(result) == (
        f"error: {out} cannot hold a file this large (FAT32 stops at 4 GiB); add --split 4000M"
    )
    assert list(out.iterdir()) == []
    split = subprocess.run(
        [*limit, *sealift_command(large_home, *args, "--split", "30M")],
        capture_output=True,
        text=True,
    )
    assert split.returncode == 0, split.stderr
    assert len(list(out.glob("b.tar.part*"))) == 4
