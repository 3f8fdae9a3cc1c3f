"""Benchmark: flattening a large image from the store into a root directory (the systemd
target) against `docker export | tar -x` of a container of the same image.

    .venv/bin/python bench/flatten.py [--size-mib 1024] [--rounds 3] [--out DIR]

Builds an image of several layers: real files of /usr (thousands per layer), a layer of
a few big files, and a layer that deletes and replaces some of them (whiteouts); copies
it into a store; then times, alternately and each in its own child process (flatten's
peak RSS), sealift's flatten and the engine's export extracted by GNU tar (as root,
keeping owners and modes), checks that both trees are the same, prints a table and
removes everything it made. Both sides end with their data on disk: flatten syncs the
filesystem before its rename; the export round is followed by `sync`, counted in.
`--out /dev/shm` writes the trees to memory: the work of each side alone, without the
disk (shared with whatever else runs) in the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from publish import _add_part, _add_tree, _source, _usr_files  # noqa: E402

from flattening import snapshot  # noqa: E402
from imagebuild import busybox_for  # noqa: E402

TAG = "sl-flat-bench:1"
TREE_LAYERS = 3
BIG_FILES = 4
QUIET_MAX = 60
"""Seconds waited at most, after each clean-up, for the disk to go quiet."""
SMALL = 256 * 1024
"""The tree layers take files of /usr below this size: many files, as in a real image."""


@dataclass
class Result:
    what: str
    seconds: float
    peak_rss_mb: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path("/var/tmp"), help="where the trees are written"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="sl-flat-bench-", dir=args.out) as tmp:
        _bench(args.size_mib, args.rounds, Path(tmp))


def _child(store: str, manifest_digest: str, root: str) -> None:
    from sealift.oci.layout import Layout
    from sealift.targets.systemd.flatten import flatten_image

    layout = Layout.open(Path(store))
    manifest = next(d for d in layout.walk(layout.resolve("bench")) if d.digest == manifest_digest)
    with layout.lease():
        flatten_image(layout, manifest, Path(root), image=TAG)
    status = Path("/proc/self/status").read_text()
    print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def _bench(size_mib: int, rounds: int, tmp: Path) -> None:
    client = docker.from_env(timeout=600)
    try:
        print(f"building a {size_mib} MiB image ...", flush=True)
        _build(client, size_mib, tmp)
        manifest = _store(tmp / "store")
        container = client.containers.create(TAG, ["true"])
        try:
            results = _rounds(rounds, tmp, manifest, str(container.id))
        finally:
            container.remove(force=True)
        _print_table(results, size_mib, _count(tmp / "flat-0"))
    finally:
        _remove_image(client)


def _store(path: Path) -> str:
    from sealift.oci.copy import copy_image
    from sealift.oci.layout import Layout

    layout = Layout.create(path)
    copied = copy_image(layout, TAG, source="engine")
    layout.set_ref("bench", copied.descriptor)
    return copied.descriptor.digest


def _rounds(rounds: int, tmp: Path, manifest: str, container: str) -> list[tuple[Result, Result]]:
    """(flatten, export) per round; which runs first alternates (on a shared disk, the
    first after a clean-up pays for its deletions more than the second)."""
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    results: list[tuple[Result, Result]] = []
    for n in range(rounds):
        flat, export = tmp / f"flat-{n}", tmp / f"export-{n}"
        export.mkdir()
        pipeline = (
            f"docker export {container} | tar -x --same-owner --numeric-owner -p -C {export}"
            " && sync"
        )
        runs = [
            ("sealift flatten_image", [*me, str(tmp / "store"), manifest, str(flat)]),
            ("docker export | tar -x", ["sh", "-c", pipeline]),
        ]
        order = runs if n % 2 == 0 else runs[::-1]
        print(f"round {n + 1}: {order[0][0]}, then {order[1][0]} ...", flush=True)
        timed = {what: _timed(what, cmd) for what, cmd in order}
        results.append((timed[runs[0][0]], timed[runs[1][0]]))
        if n == 0:
            _check_same(flat, export)
        _clean(flat if n else None, export)
    return results


def _clean(*trees: Path | None) -> None:
    for tree in trees:
        if tree is not None:
            shutil.rmtree(tree)
    os.sync()
    _wait_for_quiet_disk()


def _wait_for_quiet_disk() -> None:
    """Wait until no sector is written for a second (at most QUIET_MAX seconds): what a
    clean-up of the last round leaves to the disk must not be charged to the next run."""
    deadline = time.monotonic() + QUIET_MAX
    before = _sectors_written()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = _sectors_written()
        if now == before:
            return
        before = now


def _sectors_written() -> int:
    lines = Path("/proc/diskstats").read_text().splitlines()
    return sum(int(fields[9]) for fields in (line.split() for line in lines) if len(fields) > 9)


def _check_same(flat: Path, export: Path) -> None:
    ours, theirs = snapshot(flat), snapshot(export)
    theirs.pop("etc", None)
    ours.pop("etc", None)
    if ours != theirs:
        differing = sorted(set(ours) ^ set(theirs)) or [k for k in ours if ours[k] != theirs[k]]
        raise SystemExit(f"the trees differ: {differing[:5]}")
    print(f"trees are the same ({len(ours)} entries)", flush=True)


def _timed(what: str, cmd: list[str]) -> Result:
    """Wall time; peak RSS as the flatten child reports it (VmHWM: a forked child's
    ru_maxrss would start from this process's)."""
    os.sync()
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"{what} failed: {' '.join(cmd)}")
    peak = done.stdout.strip()
    return Result(what, seconds, int(peak) / 1024 if peak.isdigit() else 0.0)


def _print_table(results: list[tuple[Result, Result]], size_mib: int, entries: int) -> None:
    mb = size_mib * 1024 * 1024 / 1e6
    head = (
        f"{'what':26} {'round':>5} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>12} {'x export':>9}"
    )
    print(f"\nimage: {size_mib} MiB, {entries} entries, {TREE_LAYERS + 2} layers\n{head}")
    print("-" * len(head))
    for n, pair in enumerate(results, 1):
        for r in pair:
            print(
                f"{r.what:26} {n:5} {r.seconds:8.1f} {mb / r.seconds:7.1f} "
                f"{r.peak_rss_mb or float('nan'):12.1f} {r.seconds / pair[1].seconds:9.2f}"
            )
    ratios = sorted(flat.seconds / export.seconds for flat, export in results)
    print(f"median ratio flatten / export: {ratios[len(ratios) // 2]:.2f}")


def _build(client: docker.DockerClient, size_mib: int, tmp: Path) -> None:
    """Tree layers of real /usr files, a layer of a few big files, and a layer that
    deletes a directory, a big file and replaces another (whiteouts)."""
    context = tmp / "context.tar"
    per_layer = size_mib * 1024 * 1024 // (TREE_LAYERS + 1)
    lines = [
        "FROM scratch",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ]
    files = (path for path in _usr_files() if path.stat().st_size < SMALL)
    with tarfile.open(context, "w") as tar, _source("files") as read:
        tar.add(str(busybox_for("amd64")), arcname="busybox")
        for i in range(TREE_LAYERS):
            _add_tree(tar, files, f"tree{i}", per_layer)
            lines.append(f"COPY tree{i} /data/tree{i}")
        for i in range(BIG_FILES):
            _add_part(tar, read, tmp / f"big{i}", per_layer // BIG_FILES)
        lines.append("COPY big0 big1 big2 big3 /data/big/")
        lines.append(
            "RUN rm -rf /data/tree0/bin && rm /data/big/big0 && echo changed > /data/big/big1"
        )
        _add_dockerfile(tar, lines)
    with context.open("rb") as f:
        client.images.build(fileobj=f, custom_context=True, tag=TAG, rm=True, forcerm=True)
    context.unlink()


def _add_dockerfile(tar: tarfile.TarFile, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    info = tarfile.TarInfo("Dockerfile")
    info.size = len(data)
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        tar.addfile(info, f)


def _count(root: Path) -> int:
    return sum(len(dirs) + len(files) for _, dirs, files in os.walk(root))


def _remove_image(client: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(TAG, force=True)


if __name__ == "__main__":
    main()
