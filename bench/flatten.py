"""Benchmark: flattening a large image from the store into a root directory (the systemd
target) against `docker export | tar -x` of a container of the same image.

    .venv/bin/python bench/flatten.py [--size-mib 1024] [--rounds 2]

Builds an image of several layers: real files of /usr (thousands per layer), a layer of
a few big files, and a layer that deletes and replaces some of them (whiteouts); copies
it into a store; then times, alternately and each in its own child process (peak RSS
from os.wait4), sealift's flatten and the engine's export extracted by GNU tar (as root,
keeping owners and modes), checks that both trees are the same, prints a table and
removes everything it made. Both sides end with their data on disk: flatten syncs the
filesystem before its rename; the export round is followed by `sync`, counted in.
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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="sl-flat-bench-", dir="/var/tmp") as tmp:
        _bench(args.size_mib, args.rounds, Path(tmp))


def _child(store: str, manifest_digest: str, root: str) -> None:
    from sealift.oci.layout import Layout
    from sealift.targets.systemd.flatten import flatten_image

    layout = Layout.open(Path(store))
    manifest = next(d for d in layout.walk(layout.resolve("bench")) if d.digest == manifest_digest)
    with layout.lease():
        flatten_image(layout, manifest, Path(root), image=TAG)


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


def _rounds(rounds: int, tmp: Path, manifest: str, container: str) -> list[Result]:
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    results: list[Result] = []
    for n in range(rounds):
        flat, export = tmp / f"flat-{n}", tmp / f"export-{n}"
        export.mkdir()
        pipeline = (
            f"docker export {container} | tar -x --same-owner --numeric-owner -p -C {export}"
            " && sync"
        )
        print(f"round {n + 1}: flatten, then docker export | tar -x ...", flush=True)
        results.append(
            _timed("sealift flatten_image", [*me, str(tmp / "store"), manifest, str(flat)])
        )
        results.append(_timed("docker export | tar -x", ["sh", "-c", pipeline]))
        if n == 0:
            _check_same(flat, export)
        else:
            shutil.rmtree(flat)
        shutil.rmtree(export)
    return results


def _check_same(flat: Path, export: Path) -> None:
    ours, theirs = snapshot(flat), snapshot(export)
    theirs.pop("etc", None)
    ours.pop("etc", None)
    if ours != theirs:
        differing = sorted(set(ours) ^ set(theirs)) or [k for k in ours if ours[k] != theirs[k]]
        raise SystemExit(f"the trees differ: {differing[:5]}")
    print(f"trees are the same ({len(ours)} entries)", flush=True)


def _timed(what: str, cmd: list[str]) -> Result:
    os.sync()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{what} failed: {' '.join(cmd)}")
    return Result(what, seconds, usage.ru_maxrss / 1024)


def _print_table(results: list[Result], size_mib: int, entries: int) -> None:
    mb = size_mib * 1024 * 1024 / 1e6
    head = (
        f"{'what':26} {'round':>5} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>12} {'x export':>9}"
    )
    print(f"\nimage: {size_mib} MiB, {entries} entries, {TREE_LAYERS + 2} layers\n{head}")
    print("-" * len(head))
    for i, r in enumerate(results):
        baseline = results[i - i % 2 + 1]
        print(
            f"{r.what:26} {i // 2 + 1:5} {r.seconds:8.1f} {mb / r.seconds:7.1f} "
            f"{r.peak_rss_mb:12.1f} {r.seconds / baseline.seconds:9.2f}"
        )
    print("(export's RSS is tar's; the daemon does the export's work)")


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
            "RUN rm -rf /data/tree0/lib && rm /data/big/big0 && echo changed > /data/big/big1"
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
