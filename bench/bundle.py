"""Benchmark `sealift export` / `sealift import` against `cp` and docker save / load.

An app of several real images that share a base layer is built in the engine and
published; then, in one run: export, import into an empty home, `cp` of the bundle
(+ sync, the fair baseline as export and import fsync too; and without sync),
`docker save` and `docker load` of the same images, the peak RSS of each sealift
process, and the size of a differential bundle for a one-component change. Export,
import and cp run in --repeat rounds, one of each per round in rotating order, each
from a synced disk; the table shows the medians.

sealift runs with its bytecode compiled beforehand (into a cache in the work
directory), as an installed package has it: without that (PYTHONDONTWRITEBYTECODE
set, as in some shells) every run compiles all its modules again, about 0.05 s that
an installed sealift never pays. --cold-bytecode measures that case.

    .venv/bin/python bench/bundle.py --total-mib 1024 [--total-mib 5120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sealift.market.catalog import Market  # noqa: E402

SEALIFT = str(ROOT / ".venv" / "bin" / "sealift")
DOCKER = "/usr/bin/docker"
PREFIX = "sl-bdl-bench"
MIB = 1024 * 1024


def sealift_command(home: Path, *args: str) -> list[str]:
    return [SEALIFT, "--home", str(home), *args]


def sealift(home: Path, *args: str) -> None:
    subprocess.run(sealift_command(home, *args), check=True, capture_output=True)


def build(client: docker.DockerClient, tag: str, base: str, mib: int) -> None:
    """FROM base (or scratch + busybox) plus `mib` MiB of random bytes, in 64 MiB files."""
    context = io.BytesIO()
    lines = [f"FROM {base}"] if base != "scratch" else ["FROM scratch", "COPY busybox /bin/busybox"]
    with tarfile.open(fileobj=context, mode="w") as tar:
        if base == "scratch":
            tar.add("/bin/busybox", arcname="busybox")
        left, n = mib, 0
        while left > 0:
            size = min(64, left)
            info = tarfile.TarInfo(f"data{n}")
            info.size = size * MIB
            tar.addfile(info, io.BytesIO(os.urandom(info.size)))
            lines.append(f"COPY data{n} /{tag.split(':')[0].replace('/', '-')}-{n}.bin")
            left, n = left - size, n + 1
        info = tarfile.TarInfo("Dockerfile")
        data = ("\n".join(lines) + "\n").encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)


def timed(cmd: list[str]) -> tuple[float, int]:
    """Run `cmd`; return (seconds, peak RSS in bytes), the peak read from the process's
    own high-water mark (VmHWM) while it runs."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _high_water_mark(proc.pid))
        time.sleep(0.01)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        assert proc.stderr is not None
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, peak


@dataclass(frozen=True)
class Step:
    name: str
    command: Callable[[int], list[str]]
    clean: Callable[[int], None]


def alternating(repeat: int, steps: list[Step]) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Run every step once per round, the order rotated each round, and return each
    step's median time and highest peak RSS. The disk of a shared machine drifts by
    +-20% over a minute; interleaving puts every step under the same drift, so the
    ratios between steps hold even when the absolute times move. Each run starts
    from a synced disk (no earlier run's dirty pages written back on its time) and
    its output is removed right after."""
    times: dict[str, list[float]] = {s.name: [] for s in steps}
    peaks = dict.fromkeys(times, 0)
    for i in range(repeat):
        for step in steps[i % len(steps) :] + steps[: i % len(steps)]:
            subprocess.run(["sync"], check=True)
            seconds, rss = timed(step.command(i))
            times[step.name].append(seconds)
            peaks[step.name] = max(peaks[step.name], rss if step.name.startswith("sealift") else 0)
            step.clean(i)
    return times, peaks


def _high_water_mark(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(
    total_mib: int, components: int, repeat: int, work: Path, client: docker.DockerClient
) -> None:
    base_mib = total_mib * 2 // 5
    comp_mib = (total_mib - base_mib) // components
    base = f"{PREFIX}-base:{total_mib}"
    tags = [f"{PREFIX}-c{i}:{total_mib}" for i in range(components)]
    print(
        f"\n## {total_mib} MiB: base {base_mib} MiB shared by {components} images of "
        f"+{comp_mib} MiB each"
    )
    build(client, base, "scratch", base_mib)
    for tag in tags:
        build(client, tag, base, comp_mib)
    home = work / "vendor"
    model = work / "sealift.yaml"
    comps = "".join(f"  c{i}:\n    image: {t}\n" for i, t in enumerate(tags))
    model.write_text(f"schema: sealift/v1\nname: bench\nversion: 1.0.0\ncomponents:\n{comps}")
    sealift(home, "publish", str(model), "--source", "engine")
    bundle = work / "bench.tar"
    sealift(home, "export", "bench:1.0.0", "-o", str(bundle))
    size = bundle.stat().st_size
    exported, copy = work / "exported.tar", work / "copy.tar"
    steps = [
        Step(
            "sealift export",
            lambda i: sealift_command(home, "export", "bench:1.0.0", "-o", str(exported)),
            lambda i: exported.unlink(),
        ),
        Step(
            "sealift import",
            lambda i: sealift_command(work / f"site{i}", "import", str(bundle)),
            lambda i: shutil.rmtree(work / f"site{i}"),
        ),
        Step(
            "cp + sync (same bytes)",
            lambda i: ["sh", "-c", f"cp {bundle} {copy} && sync {copy}"],
            lambda i: copy.unlink(),
        ),
        Step(
            "cp, no sync (same bytes)",
            lambda i: ["cp", str(bundle), str(copy)],
            lambda i: copy.unlink(),
        ),
    ]
    times, peaks = alternating(repeat, steps)
    rows = [(name, statistics.median(t), size, peaks[name]) for name, t in times.items()]
    saved = work / "docker-save.tar"
    t, _ = timed([DOCKER, "save", "-o", str(saved), base, *tags])
    rows.append(("docker save", t, saved.stat().st_size, 0))
    for tag in [*tags, base]:
        client.images.remove(tag, force=True)
    t, _ = timed([DOCKER, "load", "-i", str(saved)])
    rows.append(("docker load", t, saved.stat().st_size, 0))
    print_table(rows)
    print_rounds(times)
    differential(client, home, work, tags, base, comp_mib, model)
    for tag in [*tags, base, f"{PREFIX}-c0:{total_mib}-v2"]:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)


def print_table(rows: list[tuple[str, float, int, int]]) -> None:
    """Rates against `cp` of the bundle file on the same disk: with sync (the fair
    baseline: export and import fsync everything they write) and without."""
    synced = next(r[2] / r[1] for r in rows if r[0].startswith("cp + sync"))
    cached = next(r[2] / r[1] for r in rows if r[0].startswith("cp, no sync"))
    print(
        f"| {'step':<24} | {'seconds':>8} | {'MiB/s':>8} | {'vs cp+sync':>10} | "
        f"{'vs cp':>6} | {'peak RSS MiB':>12} |"
    )
    print(f"|{'-' * 26}|{'-' * 10}|{'-' * 10}|{'-' * 12}|{'-' * 8}|{'-' * 14}|")
    for name, seconds, size, rss in rows:
        rate = size / seconds
        rss_text = f"{rss / MIB:.0f}" if rss else "-"
        print(
            f"| {name:<24} | {seconds:>8.2f} | {rate / MIB:>8.0f} | {rate / synced:>9.2f}x | "
            f"{rate / cached:>5.2f}x | {rss_text:>12} |"
        )
    by = {r[0]: r[1] for r in rows}
    print(
        f"export is {by['docker save'] / by['sealift export']:.1f}x faster than docker save; "
        f"import is {by['docker load'] / by['sealift import']:.1f}x faster than docker load"
    )


def print_rounds(times: dict[str, list[float]]) -> None:
    """Each round's own ratio (cp+sync time / sealift time), as the drift allows."""
    base = times["cp + sync (same bytes)"]
    for name in ("sealift export", "sealift import"):
        ratios = [b / t for b, t in zip(base, times[name])]
        listed = " ".join(f"{r:.2f}" for r in ratios)
        print(
            f"{name} vs cp+sync, round by round: {listed} (median {statistics.median(ratios):.2f}x)"
        )


def differential(
    client: docker.DockerClient,
    home: Path,
    work: Path,
    tags: list[str],
    base: str,
    comp_mib: int,
    model: Path,
) -> None:
    """Change one component (its own layer), publish 1.1.0, export --since 1.0.0."""
    new_tag = tags[0] + "-v2"
    build(client, new_tag, base, max(comp_mib // 4, 1))
    text = model.read_text().replace("version: 1.0.0", "version: 1.1.0")
    model.write_text(text.replace(f"image: {tags[0]}\n", f"image: {new_tag}\n"))
    sealift(home, "publish", str(model), "--source", "engine")
    diff = work / "diff.tar"
    sealift(home, "export", "bench:1.1.0", "--since", "1.0.0", "-o", str(diff))
    market = Market(home / "store")
    v1, v2 = market.get("bench", "1.0.0"), market.get("bench", "1.1.0")
    changed = sum(
        market.layout.blob_size(d)
        for d in market.blobs(v2) - market.blobs(v1)
        if market.layout.blob_size(d) > 64 * 1024
    )
    size = diff.stat().st_size
    verdict = "OK" if size <= changed + MIB else "TOO BIG"
    print(
        f"differential bundle: {size / MIB:.1f} MiB for {changed / MIB:.1f} MiB of changed "
        f"layers (limit +1 MiB): {verdict}"
    )


def use_compiled_bytecode(work: Path) -> None:
    """Let the sealift processes below load compiled bytecode, kept in `work`."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "sealift")],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--total-mib",
        type=int,
        action="append",
        help="Total image size in MiB (repeatable; default 1024).",
    )
    parser.add_argument("--components", type=int, default=4)
    parser.add_argument(
        "--repeat", type=int, default=5, help="Rounds of export, import and cp (median)."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the work directory.")
    parser.add_argument(
        "--cold-bytecode",
        action="store_true",
        help="Run sealift as the environment says (compiling every module when "
        "PYTHONDONTWRITEBYTECODE is set), not with compiled bytecode.",
    )
    args = parser.parse_args()
    client = docker.from_env(timeout=1800)
    for total in args.total_mib or [1024]:
        work = Path(tempfile.mkdtemp(prefix="sealift-bench-bundle-"))
        try:
            if not args.cold_bytecode:
                use_compiled_bytecode(work)
            run(total, args.components, args.repeat, work, client)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
