"""Benchmark: the site runtime (sealift.pyz) against the installed `sealift`, same run.

    .venv/bin/python bench/runtime.py [--rounds 9] [--mib 256] [--repeat 3]

Start-up: `--help` and `status` (an empty home) through `python3 sealift.pyz`, with
Debian's /usr/bin/python3 (what a site runs) and with the venv's python (the same
interpreter as the installed command), against the venv's `sealift` (targets: within
1.5x). Import: a bundle of one image with MIB of incompressible data, imported into a
fresh home through the zipapp and through the installed command, alternating (target:
within 1.1x). The first start of a runtime (extracting its compiled parts) is shown
apart. The runtime is built from the wheelhouse (tests/sitepyz.py), never downloaded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from bundle import use_compiled_bytecode  # noqa: E402

from sitepyz import runtime_pyz  # noqa: E402

IMAGE = "sl-rt-bench:1"
SITE_PYTHON = "/usr/bin/python3"
INSTALLED = str(Path(sys.executable).parent / "sealift")
START_TARGET, IMPORT_TARGET = 1.5, 1.1


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return seconds


def runners(pyz: Path) -> dict[str, list[str]]:
    return {
        "installed sealift": [INSTALLED],
        "sealift.pyz, Debian python3": [SITE_PYTHON, str(pyz)],
        "sealift.pyz, venv python": [sys.executable, str(pyz)],
    }


def first_start(pyz: Path, work: Path) -> float:
    """`version` with an empty cache: the compiled parts are extracted once."""
    import os

    env = {**os.environ, "HOME": str(work / "first-home"), "XDG_CACHE_HOME": ""}
    return timed([SITE_PYTHON, str(pyz), "version"], env)


def start_times(pyz: Path, home: Path, rounds: int) -> dict[tuple[str, str], float]:
    cases = {
        (command, runner): [*prefix, "--home", str(home), *args]
        for command, args in (("--help", ["--help"]), ("status", ["status"]))
        for runner, prefix in runners(pyz).items()
    }
    for cmd in cases.values():  # not counted: fills the bytecode caches and extracts
        timed(cmd)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in cases}
    for _ in range(rounds):  # interleaved: a busy moment slows every case alike
        for key, cmd in cases.items():
            times[key].append(timed(cmd))
    return {key: statistics.median(values) for key, values in times.items()}


def make_bundle(work: Path, mib: int, pyz: Path) -> Path:
    import docker
    from tests.imagebuild import build_image

    client = docker.from_env(timeout=300)
    print(f"building {IMAGE} ({mib} MiB), publishing and exporting ...", flush=True)
    build_image(client, IMAGE, big_file_mib=mib)
    try:
        home = work / "vendor"
        home.mkdir()
        model = work / "sealift.yaml"
        model.write_text(
            f"schema: sealift/v1\nname: rtbench\nversion: 1.0.0\ncomponents:\n"
            f"  web:\n    image: {IMAGE}\n"
        )
        vendor = [INSTALLED, "--home", str(home)]
        subprocess.run([*vendor, "publish", str(model)], check=True, capture_output=True)
        bundle = work / "rtbench.tar"
        export = ["export", "rtbench:1.0.0", "-o", str(bundle), "--runtime", str(pyz)]
        subprocess.run([*vendor, *export], check=True, capture_output=True)
        return bundle
    finally:
        client.images.remove(IMAGE, force=True)


def import_times(pyz: Path, bundle: Path, work: Path, repeat: int) -> dict[str, float]:
    chosen = {k: v for k, v in runners(pyz).items() if "venv python" not in k}
    times: dict[str, list[float]] = {name: [] for name in chosen}
    for name, prefix in chosen.items():  # not counted: compiles what only import loads
        timed([*prefix, "--home", str(work / f"warm-{name[:4]}"), "import", str(bundle)])
    for round_number in range(repeat):
        for name, prefix in chosen.items():
            home = work / f"import-{round_number}-{len(times[name])}-{name[:4]}"
            times[name].append(timed([*prefix, "--home", str(home), "import", str(bundle)]))
    return {name: statistics.median(values) for name, values in times.items()}


def print_tables(
    starts: dict[tuple[str, str], float], imports: dict[str, float], first: float, size: int
) -> None:
    print(f"\nsealift.pyz: {size / 1024**2:.1f} MiB; first start (extraction): {first:.2f} s")
    print(f"| {'command':8} | {'runner':28} | seconds | x installed | within {START_TARGET}x |")
    print(f"|{'-' * 10}|{'-' * 30}|--------:|------------:|-------------:|")
    for (command, runner), seconds in starts.items():
        ratio = seconds / starts[(command, "installed sealift")]
        ok = "yes" if ratio <= START_TARGET else "NO"
        print(f"| {command:8} | {runner:28} | {seconds:7.3f} | {ratio:11.2f} | {ok:>12} |")
    print(f"\n| {'import':8} | {'runner':28} | seconds | x installed | within {IMPORT_TARGET}x |")
    print(f"|{'-' * 10}|{'-' * 30}|--------:|------------:|-------------:|")
    for runner, seconds in imports.items():
        ratio = seconds / imports["installed sealift"]
        ok = "yes" if ratio <= IMPORT_TARGET else "NO"
        print(f"| {'import':8} | {runner:28} | {seconds:7.3f} | {ratio:11.2f} | {ok:>12} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="Start-up runs per case.")
    parser.add_argument("--mib", type=int, default=256, help="Size of the imported image.")
    parser.add_argument("--repeat", type=int, default=3, help="Imports per runner.")
    args = parser.parse_args()
    pyz = runtime_pyz()
    with tempfile.TemporaryDirectory(prefix="sl-rt-bench-", dir=Path.home()) as tmp:
        work = Path(tmp)
        use_compiled_bytecode(work)
        first = first_start(pyz, work)
        home = work / "home"
        home.mkdir()
        starts = start_times(pyz, home, args.rounds)
        bundle = make_bundle(work, args.mib, pyz)
        imports = import_times(pyz, bundle, work, args.repeat)
        print_tables(starts, imports, first, pyz.stat().st_size)


if __name__ == "__main__":
    main()
