"""Benchmark the site's registry: `sealift registry serve` streaming a 1 GiB blob against
`cat` of the same file, and `sealift push` of a 1 GiB image against `skopeo copy` of the
same image (from the same store, an OCI layout) into a fresh docker-registry, with the
peak RSS of each sealift process. Each pair runs --repeat times, interleaved; the table
shows medians. "cold" runs start with the file dropped from the page cache
(posix_fadvise DONTNEED), so they read the disk; "warm" ones read the page cache.

    .venv/bin/python bench/registry.py [--size-mib 1024] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bundle import _high_water_mark, timed  # noqa: E402  (bench/bundle.py)
from tests.integration.test_bundle_support import publish_synthetic  # noqa: E402

from sealift.market.catalog import Market  # noqa: E402
from sealift.oci import media  # noqa: E402
from sealift.oci.descriptor import Descriptor  # noqa: E402

SEALIFT = str(ROOT / ".venv" / "bin" / "sealift")
MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sl-reg-bench-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        home, layer = make_store(work, args.size_mib)
        rows = bench_serve(home, layer, args.repeat) + bench_push(home, work, args.repeat)
    print_table(rows, args.size_mib)


def make_store(work: Path, size_mib: int) -> tuple[Path, Path]:
    """A store with `big:1.0.0`: one component whose image has one random layer."""
    home = work / "home"
    market = Market(home / "store")
    layout = market.layout
    with layout.writer() as writer:
        for _ in range(size_mib):
            writer.write(os.urandom(MIB))
        digest = writer.commit()
    layer = Descriptor(media.OCI_LAYER_GZIP, digest, size_mib * MIB)
    config = layout.put_json({"architecture": "amd64", "os": "linux"}, media.OCI_CONFIG)
    manifest = layout.put_json(
        {
            "schemaVersion": 2,
            "mediaType": media.OCI_MANIFEST,
            "config": config.to_json(),
            "layers": [layer.to_json()],
        },
        media.OCI_MANIFEST,
    )
    publish_synthetic(market, "big", "1.0.0", {"app": manifest})
    return home, layout.blob_path(digest)


Row = tuple[str, float, float, int]  # what, seconds, ratio to its baseline, peak RSS


def bench_serve(home: Path, blob: Path, repeat: int) -> list[Row]:
    address = f"127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [SEALIFT, "--home", str(home), "registry", "serve", "--listen", address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(address)
        url = f"http://{address}/v2/big/app/blobs/sha256:{blob.name}"
        curl = ["curl", "-sSf", "-o", "/dev/null", url]
        cat = ["sh", "-c", f'cat "{blob}" >/dev/null']
        rows: list[Row] = []
        for state in ("cold", "warm"):
            drop = (lambda: evict(blob)) if state == "cold" else (lambda: None)
            base, served = interleaved(repeat, drop, cat, curl)
            rows.append((f"cat of the blob ({state})", base, 1.0, 0))
            rows.append((f"registry serve -> curl ({state})", served, base / served, 0))
        peak = _high_water_mark(server.pid)
        rows[-1] = (*rows[-1][:3], peak)
        return rows
    finally:
        server.terminate()
        server.wait(timeout=20)


def bench_push(home: Path, work: Path, repeat: int) -> list[Row]:
    store = home / "store"
    skopeo_times, push_times, peak = [], [], 0
    for i in range(repeat):
        for name in ["skopeo", "push"] if i % 2 == 0 else ["push", "skopeo"]:
            with docker_registry(work / f"reg-{i}-{name}") as address:
                if name == "skopeo":
                    source = f"oci:{store}:big/app:1.0.0"
                    cmd = ["skopeo", "copy", "--dest-tls-verify=false", source]
                    cmd.append(f"docker://{address}/big/app:1.0.0")
                    skopeo_times.append(timed(cmd)[0])
                else:
                    cmd = [SEALIFT, "--home", str(home), "push", "big:1.0.0", "--to", address]
                    seconds, rss = timed(cmd)
                    push_times.append(seconds)
                    peak = max(peak, rss)
    base, pushed = statistics.median(skopeo_times), statistics.median(push_times)
    return [
        ("skopeo copy oci: -> registry", base, 1.0, 0),
        ("sealift push", pushed, pushed / base, peak),
    ]


def interleaved(
    repeat: int, before: Callable[[], None], baseline: list[str], measured: list[str]
) -> tuple[float, float]:
    times: dict[int, list[float]] = {0: [], 1: []}
    for i in range(repeat):
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            before()
            times[which].append(timed([baseline, measured][which])[0])
    return statistics.median(times[0]), statistics.median(times[1])


def evict(path: Path) -> None:
    """Drop a file's pages from the page cache (clean pages only: sync first)."""
    subprocess.run(["sync"], check=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@contextmanager
def docker_registry(root: Path) -> Iterator[str]:
    root.mkdir(parents=True)
    address = f"127.0.0.1:{free_port()}"
    (root / "config.yml").write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
        f"http: {{addr: {address}}}\n"
    )
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(root / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(address)
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(address: str) -> None:
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {address}")


def print_table(rows: list[Row], size_mib: int) -> None:
    print(f"\nsite registry, {size_mib} MiB blob / image (medians)\n")
    print(f"{'what':38} {'seconds':>8} {'MiB/s':>8} {'ratio':>7} {'peak RSS':>9}")
    for what, seconds, ratio, rss in rows:
        rate = size_mib / seconds if seconds else 0.0
        peak = f"{rss / MIB:.0f} MB" if rss else "-"
        print(f"{what:38} {seconds:8.2f} {rate:8.0f} {ratio:7.2f} {peak:>9}")
    print("\nratio: rate against the row above it for serve (target >= 0.8), time against")
    print("skopeo for push (target <= 1.2); peak RSS target < 150 MB.")


if __name__ == "__main__":
    main()
