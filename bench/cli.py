"""Benchmark: start-up time of the read-only commands, against `python -c pass` in the
same run (the floor: the interpreter alone).

    .venv/bin/python bench/cli.py [--rounds 9] [--empty]

Publishes a two-component app (a busybox image built here) into a temporary home and
installs it with the real `sealift` command, so `market list`, `status` and `history`
show a real market, a real installation and its running containers; then runs each
command `--rounds` times (the venv's console script, as a user does), prints the median
wall time and its ratio to `python -c pass`, and removes everything it made.
`--empty` measures a home with nothing in it instead (no engine needed).

As bench/bundle.py, sealift runs with its bytecode compiled beforehand, as an installed
package has it; `--cold-bytecode` runs it as the environment says (with
PYTHONDONTWRITEBYTECODE set, every run compiles sealift's modules again).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bundle import use_compiled_bytecode  # noqa: E402

IMAGE = "sl-cli-bench:1"
INSTANCE = "slclibench"
TARGET = 0.3
MODEL = f"""schema: sealift/v1
name: clibench
version: 1.0.0
components:
  web:
    image: {IMAGE}
    command: [sh, -c, "exec httpd -f -p 8080 -h /"]
    health: {{tcp: {{port: 8080}}, interval: 200ms}}
  worker:
    image: {IMAGE}
    command: [sh, -c, "exec sleep 1000000"]
    depends_on: [web]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="Runs per command (median shown).")
    parser.add_argument("--empty", action="store_true", help="Measure an empty home.")
    parser.add_argument(
        "--cold-bytecode", action="store_true", help="Do not compile sealift's bytecode first."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sl-cli-bench-") as tmp:
        if not args.cold_bytecode:
            use_compiled_bytecode(Path(tmp))
        home = Path(tmp) / "home"
        home.mkdir()
        with contextlib.ExitStack() as cleanup:
            if not args.empty:
                _install(home, Path(tmp), cleanup)
            _print_table(_measure(home, args.rounds), args.rounds, args.empty)


def _sealift(home: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "sealift"), "--home", str(home), *args]


def _install(home: Path, tmp: Path, cleanup: contextlib.ExitStack) -> None:
    import docker
    from tests.imagebuild import build_image

    client = docker.from_env(timeout=300)
    print(f"building {IMAGE}, publishing and installing a two-component app ...", flush=True)
    build_image(client, IMAGE, files={"/index.html": "bench"})
    cleanup.callback(_remove_image, client)
    model = tmp / "sealift.yaml"
    model.write_text(MODEL)
    _run(_sealift(home, "publish", str(model)))
    cleanup.callback(_run_quietly, _sealift(home, "uninstall", INSTANCE, "--purge"))
    _run(_sealift(home, "install", "clibench:1.0.0", "--name", INSTANCE, "--timeout", "60s"))


def _measure(home: Path, rounds: int) -> list[tuple[str, float]]:
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("sealift --help", _sealift(home, "--help")),
        ("sealift market list", _sealift(home, "market", "list")),
        ("sealift status", _sealift(home, "status")),
        (f"sealift history {INSTANCE}", _sealift(home, "history", INSTANCE)),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    for name, cmd in commands:  # a first run, not counted: fills the bytecode cache
        _timed(name, cmd)
    for _ in range(rounds):  # interleaved: a busy moment slows every command alike
        for name, cmd in commands:
            times[name].append(_timed(name, cmd))
    return [(name, statistics.median(times[name])) for name, _ in commands]


def _timed(name: str, cmd: list[str]) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0 and "history" not in name:  # history fails on an empty home
        raise SystemExit(f"{name} failed ({proc.returncode}): {proc.stderr.strip()}")
    return seconds


def _print_table(results: list[tuple[str, float]], rounds: int, empty: bool) -> None:
    floor = results[0][1]
    where = "an empty home" if empty else "a home with one app version and one installation"
    print(f"\nmedian wall time of {rounds} runs, {where}")
    print(f"| {'command':30} | seconds | x python -c pass | under {TARGET} s |")
    print(f"|{'-' * 32}|--------:|-----------------:|-------------:|")
    for name, seconds in results:
        ok = "" if name.startswith("python") else ("yes" if seconds < TARGET else "NO")
        print(f"| {name:30} | {seconds:7.3f} | {seconds / floor:16.1f} | {ok:>12} |")


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} failed: {proc.stderr.strip()}")


def _run_quietly(cmd: list[str]) -> None:
    subprocess.run(cmd, capture_output=True, check=False)


def _remove_image(client: object) -> None:
    import docker.errors

    with contextlib.suppress(docker.errors.NotFound):
        client.images.remove(IMAGE, force=True)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
