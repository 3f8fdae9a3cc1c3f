"""Benchmark: copying a large image into the store, from the engine and from a registry,
against `docker save -o` and `skopeo copy docker://... oci:...` of the same image.

    .venv/bin/python bench/publish.py [--size-mib 1024] [--content files|random]

Builds an image of a few layers, pushes it to a docker-registry on 127.0.0.1, runs
each contender in its own child process (peak RSS from os.wait4), prints a table, and
removes everything it made. The engine copy runs twice into the same store: the second
shows republishing (layers reused, not compressed again).

`--content files` (the default) fills each layer with one file holding the bytes of real
files (a tar of /usr: compressible like a real image, deflate does real work); `--content
tree` with real files of /usr (thousands per layer, as a real image: the engine's own
export work grows with the count); `--content random` with incompressible random data
(stored, not deflated: measures the I/O path alone).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port  # noqa: E402
from imagebuild import busybox_for  # noqa: E402

LAYERS = 4
TAG = "sl-src-bench:1"


@dataclass
class Result:
    what: str
    seconds: float
    peak_rss_mb: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--content", choices=["files", "tree", "random"], default="files")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="sl-src-bench-") as tmp:
        _bench(args.size_mib, args.content, Path(tmp))


def _child(source: str, ref: str, store: str) -> None:
    from sealift.oci.copy import copy_image
    from sealift.oci.layout import Layout

    copied = copy_image(Layout.create(Path(store)), ref, source=source)
    print(copied.size)


def _bench(size_mib: int, content: str, tmp: Path) -> None:
    client = docker.from_env(timeout=600)
    registry = _start_registry(tmp)
    try:
        print(f"building a {size_mib} MiB image ({LAYERS} layers of {content}) ...", flush=True)
        _build(client, size_mib, content, tmp)
        remote = f"{registry[0]}/bench/big:1"
        print(f"pushing it to {remote} ...", flush=True)
        _run(
            [
                "skopeo",
                "copy",
                "--dest-tls-verify=false",
                f"docker-daemon:{TAG}",
                f"docker://{remote}",
            ]
        )
        results = _measure(remote, tmp)
        _print_table(results, size_mib, content)
    finally:
        registry[1].terminate()
        registry[1].wait(timeout=10)
        _remove_image(client)


def _measure(remote: str, tmp: Path) -> list[Result]:
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    runs = [
        ("sealift copy_image from engine", [*me, "engine", TAG, str(tmp / "s-engine")]),
        ("  again, into the same store", [*me, "engine", TAG, str(tmp / "s-engine")]),
        ("sealift copy_image from registry", [*me, "registry", remote, str(tmp / "s-reg")]),
        ("docker save -o", ["/usr/bin/docker", "save", "-o", str(tmp / "save.tar"), TAG]),
        (
            "skopeo copy docker:// -> oci:",
            [
                "skopeo",
                "copy",
                "--src-tls-verify=false",
                f"docker://{remote}",
                f"oci:{tmp / 'skopeo'}:x",
            ],
        ),
    ]
    results = []
    for what, cmd in runs:
        _drop_page_cache_hint()
        print(f"running: {what} ...", flush=True)
        results.append(_timed(what, cmd))
    return results


def _timed(what: str, cmd: list[str]) -> Result:
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed ({proc.returncode}): {' '.join(cmd)}")
    return Result(what, seconds, usage.ru_maxrss / 1024)


def _print_table(results: list[Result], size_mib: int, content: str) -> None:
    mb = size_mib * 1024 * 1024 / 1e6
    save = next(r for r in results if r.what.startswith("docker save"))
    skopeo = next(r for r in results if r.what.startswith("skopeo"))
    head = (
        f"{'what':34} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} "
        f"{'x docker save':>14} {'x skopeo':>9}"
    )
    what = {
        "files": "bytes of files under /usr (one file per layer)",
        "tree": "real files under /usr (a directory tree per layer)",
        "random": "random data (one file per layer)",
    }[content]
    print(f"\nimage: {size_mib} MiB of {what} in {LAYERS} layers\n{head}\n{'-' * len(head)}")
    for r in results:
        print(
            f"{r.what:34} {r.seconds:8.1f} {mb / r.seconds:8.1f} {r.peak_rss_mb:12.1f} "
            f"{r.seconds / save.seconds:14.2f} {r.seconds / skopeo.seconds:9.2f}"
        )
    print("(ratios are time ratios; docker save's RSS is the CLI's, the daemon does the work)")


def _build(client: docker.DockerClient, size_mib: int, content: str, tmp: Path) -> None:
    context = tmp / "context.tar"
    per_layer = size_mib * 1024 * 1024 // LAYERS
    lines = ["FROM scratch", "COPY busybox /bin/busybox"]
    files = _usr_files()
    with tarfile.open(context, "w") as tar, _source(content) as read:
        tar.add(str(busybox_for("amd64")), arcname="busybox")
        for i in range(LAYERS):
            if content == "tree":
                _add_tree(tar, files, f"part{i}", per_layer)
            else:
                _add_part(tar, read, tmp / f"part{i}", per_layer)
            lines.append(f"COPY part{i} /data/part{i}")
        dockerfile = ("\n".join(lines) + "\n").encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    with context.open("rb") as f:
        client.images.build(fileobj=f, custom_context=True, tag=TAG, rm=True, forcerm=True)
    context.unlink()


def _add_part(tar: tarfile.TarFile, read: Callable[[int], bytes], part: Path, size: int) -> None:
    """One file of `size` bytes from `read`."""
    with part.open("wb") as f:
        for _ in range(size // (1 << 20)):
            f.write(read(1 << 20))
    tar.add(str(part), arcname=part.name)
    part.unlink()


def _add_tree(tar: tarfile.TarFile, files: Iterator[Path], arcname: str, size: int) -> None:
    """Real files of /usr (the next ones), about `size` bytes, under `arcname`/."""
    added = 0
    while added < size:
        path = next(files, None)
        if path is None:
            raise SystemExit("/usr holds too few files for this size; use a smaller --size-mib")
        tar.add(str(path), arcname=f"{arcname}/{path.relative_to('/usr')}", recursive=False)
        added += path.stat().st_size


def _usr_files() -> Iterator[Path]:
    """Regular readable files under /usr, in a stable order."""
    for root, dirs, names in os.walk("/usr"):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
                yield path


@contextlib.contextmanager
def _source(content: str) -> Iterator[Callable[[int], bytes]]:
    """Where layer bytes come from: os.urandom, or one pass of `tar c /usr` (each layer
    different bytes, compressible like real files)."""
    if content != "files":
        yield os.urandom
        return
    proc = subprocess.Popen(
        ["tar", "cf", "-", "/usr"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None

    def read(n: int) -> bytes:
        data = proc.stdout.read(n) if proc.stdout else b""
        if len(data) < n:
            raise SystemExit("/usr holds too few bytes for this size; use a smaller --size-mib")
        return data

    try:
        yield read
    finally:
        proc.kill()
        proc.wait()


def _start_registry(tmp: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    config = tmp / "registry.yml"
    config.write_text(
        "version: 0.1\nlog: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'registry'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
    )
    binary = shutil.which("docker-registry") or "docker-registry"
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1)
    return f"127.0.0.1:{port}", proc


def _remove_image(client: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(TAG, force=True)


def _drop_page_cache_hint() -> None:
    os.sync()


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
