"""Benchmark the web console against the CLI, in one run.

1. Upload + import of a bundle of --mib MiB through `sealift console` (the browser's
   request, sent by curl: the file as the body, imported as it arrives; then the import
   job polled to its end) against `sealift import` of the same file into an empty home;
   --repeat rounds, alternating. On a VM the first write into memory the host took back
   is slow (both sides meet it at random): read the medians, and use --repeat 5 or more.
2. The console's peak RSS (VmHWM) while a bundle of --big-mib MiB is uploaded and
   imported (the issue asks < 200 MB for 2 GiB).
3. The installations dashboard with --installations real installations of a one-
   component app (busybox httpd behind a TCP health check) on the Docker engine: the
   median time of GET /installations (the status of every container is read each time).

    .venv/bin/python bench/console.py [--mib 1024] [--big-mib 2048] [--installations 20]
    (--big-mib 0 leaves part 2 out, --installations 0 part 3)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bundle import _high_water_mark, build, sealift, timed  # noqa: E402
from tests.consoleserver import console, login  # noqa: E402

PREFIX = "sl-web-bench"
MIB = 1024 * 1024


def model(name: str, images: dict[str, str], health: bool = False) -> str:
    lines = ["schema: sealift/v1", f"name: {name}", "version: 1.0.0", "components:"]
    for component, image in images.items():
        lines += [f"  {component}:", f"    image: {image}"]
        if health:
            lines += [
                '    command: ["/bin/busybox", "httpd", "-f", "-p", "8080"]',
                "    health: {tcp: {port: 8080}, interval: 1s, retries: 20}",
            ]
    return "\n".join(lines) + "\n"


def make_bundle(vendor: Path, work: Path, name: str, images: dict[str, str]) -> Path:
    path = work / f"{name}.yaml"
    path.write_text(model(name, images))
    sealift(vendor, "publish", str(path), "--source", "engine", "--platform", "linux/amd64")
    bundle = work / f"{name}.tar"
    sealift(vendor, "export", f"{name}:1.0.0", "-o", str(bundle))
    return bundle


def upload(client: httpx.Client, token: str, bundle: Path) -> tuple[float, float]:
    """Seconds from the first byte sent to the import job's end, and to the upload's end
    (the answer that names the job). curl sends the file, as the browser does: from native
    code (a Python client would take a good part of the two cores from the console)."""
    cookie = client.cookies["sealift_session"]
    start = time.monotonic()
    sent = subprocess.run(
        [
            "curl", "-sS", "--fail-with-body", "-X", "POST", "-T", str(bundle), "-H", "Expect:",
            "-H", f"X-CSRF-Token: {token}", "-H", f"Cookie: sealift_session={cookie}",
            f"{client.base_url}/import/upload?name={bundle.name}&key={time.time()}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    uploaded = time.monotonic() - start
    job = json.loads(sent.stdout)["job"]
    while (state := client.get(f"/api/jobs/{job}").json())["state"] == "running":
        time.sleep(0.02)
    if state["state"] != "done":
        raise SystemExit(f"the console's import failed: {state['error']}")
    return time.monotonic() - start, uploaded


@contextmanager
def logged_in(home: Path) -> Iterator[tuple[httpx.Client, str, int]]:
    home.mkdir(parents=True, exist_ok=True)
    media = home.parent / f"{home.name}-media"
    media.mkdir(exist_ok=True)
    with console(home, media) as running, running.client() as client:
        yield client, login(client), running.process.pid


def compare_imports(bundle: Path, work: Path, repeat: int) -> tuple[float, float, float, int, int]:
    cli_times, web_times, upload_times, cli_peak, web_peak = [], [], [], 0, 0
    for i in range(repeat):
        subprocess.run(["sync"], check=True)
        seconds, rss = timed(
            [
                str(ROOT / ".venv/bin/sealift"),
                "--home",
                str(work / f"cli{i}"),
                "import",
                str(bundle),
            ]
        )
        cli_times.append(seconds)
        cli_peak = max(cli_peak, rss)
        subprocess.run(["rm", "-rf", str(work / f"cli{i}")], check=True)
        subprocess.run(["sync"], check=True)
        with logged_in(work / f"web{i}") as (client, token, pid):
            before = psutil.Process(pid).cpu_times()
            total, uploaded = upload(client, token, bundle)
            after = psutil.Process(pid).cpu_times()
            print(
                f"    console round {i}: {total:.2f} s, CPU user {after.user - before.user:.2f} "
                f"sys {after.system - before.system:.2f}",
                flush=True,
            )
            web_times.append(total)
            upload_times.append(uploaded)
            web_peak = max(web_peak, _high_water_mark(pid))
        subprocess.run(["rm", "-rf", str(work / f"web{i}")], check=True)
    print(f"  sealift import: {' '.join(f'{t:.2f}' for t in cli_times)} s", flush=True)
    print(f"  console:        {' '.join(f'{t:.2f}' for t in web_times)} s", flush=True)
    medians = [statistics.median(t) for t in (cli_times, web_times, upload_times)]
    return medians[0], medians[1], medians[2], cli_peak, web_peak


def big_upload_rss(bundle: Path, work: Path) -> tuple[float, int]:
    with logged_in(work / "big") as (client, token, pid):
        seconds, _ = upload(client, token, bundle)
        peak = _high_water_mark(pid)
    subprocess.run(["rm", "-rf", str(work / "big")], check=True)
    return seconds, peak


def dashboard(work: Path, count: int, rounds: int = 15) -> tuple[float, float, float]:
    """(median ms, slowest ms) of GET /installations with `count` installations, and the
    seconds `sealift status` takes to read them all (every health check probed)."""
    home = work / "dash"
    home.mkdir()
    tiny = work / "tiny.yaml"
    tiny.write_text(model("tiny", {"httpd": f"{PREFIX}/tiny:1"}, health=True))
    sealift(home, "publish", str(tiny), "--source", "engine", "--platform", "linux/amd64")
    names = [f"{PREFIX}-{n}" for n in range(count)]
    try:
        for name in names:
            sealift(home, "install", "tiny:1.0.0", "--name", name)
        fresh, _ = timed([str(ROOT / ".venv/bin/sealift"), "--home", str(home), "status"])
        with logged_in(home) as (client, _token, _pid):
            client.get("/installations").raise_for_status()  # first call loads the driver
            times = []
            for _ in range(rounds):
                start = time.monotonic()
                page = client.get("/installations")
                times.append((time.monotonic() - start) * 1000)
                assert len(re.findall(r"data-installation=", page.text)) == count
        return statistics.median(times), max(times), fresh
    finally:
        for name in names:
            subprocess.run(
                [
                    str(ROOT / ".venv/bin/sealift"),
                    "--home",
                    str(home),
                    "uninstall",
                    name,
                    "--purge",
                ],
                capture_output=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--big-mib", type=int, default=2048)
    parser.add_argument("--installations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/var/tmp"))
    args = parser.parse_args()
    client = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory(prefix="sl-web-bench-", dir=args.work) as tmp:
        work = Path(tmp)
        try:
            run(args, work, client)
        finally:
            for image in client.images.list(name=f"{PREFIX}/*"):
                for tag in image.tags:
                    client.images.remove(tag, force=True)


def run(args: argparse.Namespace, work: Path, client: docker.DockerClient) -> None:
    """Part 2 is left out with --big-mib 0, part 3 with --installations 0."""
    vendor = work / "vendor"
    print(f"building images ({args.mib} + {max(0, args.big_mib - args.mib)} MiB) ...", flush=True)
    build(client, f"{PREFIX}/a:1", "scratch", args.mib)
    bundle = make_bundle(vendor, work, "big", {"a": f"{PREFIX}/a:1"})
    cli_s, web_s, upload_s, cli_rss, web_rss = compare_imports(bundle, work, args.repeat)
    size = bundle.stat().st_size / MIB
    print(f"\n{'what':58} {'value':>12} {'vs CLI':>8}")
    print(f"{f'sealift import, {size:.0f} MiB bundle (median)':58} {cli_s:>10.2f} s {1:>8.2f}")
    print(
        f"{'console upload + import, same bundle (median)':58} {web_s:>10.2f} s "
        f"{web_s / cli_s:>8.2f}"
    )
    print(f"{'  of which the upload (median)':58} {upload_s:>10.2f} s {upload_s / cli_s:>8.2f}")
    print(f"{'peak RSS, sealift import':58} {cli_rss / MIB:>9.0f} MiB")
    print(f"{'peak RSS, console (upload + import)':58} {web_rss / MIB:>9.0f} MiB", flush=True)
    if args.big_mib > args.mib:
        build(client, f"{PREFIX}/b:1", "scratch", args.big_mib - args.mib)
        big = make_bundle(vendor, work, "bigger", {"a": f"{PREFIX}/a:1", "b": f"{PREFIX}/b:1"})
        big_s, big_rss = big_upload_rss(big, work)
        big_size = big.stat().st_size / MIB
        print(f"{f'console upload + import, {big_size:.0f} MiB bundle':58} {big_s:>10.2f} s")
        label = f"peak RSS, console, {big_size:.0f} MiB upload + import"
        print(f"{label:58} {big_rss / MIB:>9.0f} MiB", flush=True)
    if args.installations:
        build(client, f"{PREFIX}/tiny:1", "scratch", 1)
        median_ms, worst_ms, fresh_s = dashboard(work, args.installations)
        label = f"dashboard, {args.installations} installations (median)"
        print(f"{label:58} {median_ms:>9.0f} ms")
        print(f"{'dashboard (slowest of 15)':58} {worst_ms:>9.0f} ms")
        label = "sealift status of the same (every health check probed)"
        print(f"{label:58} {fresh_s:>10.2f} s")


if __name__ == "__main__":
    main()
