"""Benchmark: sealift install of a 20-component app against a plain docker-py script that
loads the same image and starts the same containers in dependency order (same run), and a
one-component upgrade against the full install.

    .venv/bin/python bench/deploy.py [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import docker
from docker.models.containers import Container

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.imagebuild import build_image  # noqa: E402

from sealift.deploy import operations as ops  # noqa: E402
from sealift.market.catalog import Market  # noqa: E402
from sealift.market.publish import PublishOptions, publish  # noqa: E402
from sealift.model.load import parse_model_text  # noqa: E402
from sealift.targets.factory import get_target  # noqa: E402
from sealift.yamltext import dump_yaml  # noqa: E402

IMAGE = "sl-dep-bench:1"
COUNT, PER_LEVEL = 20, 5
SERVE = "exec httpd -f -p 8080 -h /"


def names() -> list[str]:
    return [f"c{i:02d}" for i in range(COUNT)]


def depends(i: int) -> list[str]:
    level = i // PER_LEVEL
    return [] if level == 0 else [f"c{(level - 1) * PER_LEVEL:02d}"]


def model_text(version: str, changed: str = "") -> str:
    components = {}
    for i, name in enumerate(names()):
        components[name] = {
            "image": IMAGE,
            "command": ["sh", "-c", SERVE],
            "depends_on": depends(i),
            "env": {"VERSION": version if name == changed else "1"},
            "health": {"tcp": {"port": 8080}, "interval": "100ms"},
        }
    return dump_yaml(
        {"schema": "sealift/v1", "name": "benchapp", "version": version, "components": components}
    )


def plain_script(client: docker.DockerClient, saved: Path) -> float:
    """What a careful hand-written script does: load, network, start level by level, wait."""
    start = time.monotonic()
    with saved.open("rb") as f:
        client.images.load(f)
    network = client.networks.create("sldep-bench-plain")
    net_name = str(network.name)
    containers = []
    for level in range(COUNT // PER_LEVEL):
        started = []
        for name in names()[level * PER_LEVEL : (level + 1) * PER_LEVEL]:
            c = client.containers.run(
                IMAGE,
                ["sh", "-c", SERVE],
                name=f"sldep-plain-{name}",
                detach=True,
                network=net_name,
                init=True,
                environment={"VERSION": "1"},
                restart_policy={"Name": "always"},
            )
            started.append(c)
        for c in started:
            _wait_tcp(c, net_name)
        containers += started
    elapsed = time.monotonic() - start
    for c in containers:
        c.remove(force=True)
    network.remove()
    return elapsed


def _wait_tcp(container: Container, network: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        container.reload()
        ip = container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
        with contextlib.suppress(OSError), socket.create_connection((ip, 8080), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{container.name} never listened")


def remove_image(client: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        client.images.remove(IMAGE, force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="Rounds (median is reported).")
    args = parser.parse_args()
    client = docker.from_env(timeout=300)
    build_image(client, IMAGE, files={"/etc/sl-dep-bench": "bench"})
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        saved = home / "image.tar"
        subprocess.run(["docker", "save", "-o", str(saved), IMAGE], check=True)
        market = Market(home / "store")
        for version, changed in (("1.0.0", ""), ("1.1.0", "c07")):
            publish(market, parse_model_text(model_text(version, changed)), PublishOptions())
        ctx = ops.Context(home, get_target("docker"), timeout=120)
        rounds = [one_round(client, ctx, saved) for _ in range(args.repeat)]
        remove_image(client)
    print_table(rounds)


def one_round(client: docker.DockerClient, ctx: ops.Context, saved: Path) -> Round:
    """Plain script, then sealift install and upgrade, each starting without the image."""
    try:
        remove_image(client)
        plain = plain_script(client, saved)
        remove_image(client)
        t0 = time.monotonic()
        ops.install(ctx, "benchapp:1.0.0", name="sldep-bench")
        install = time.monotonic() - t0
        t0 = time.monotonic()
        out = ops.upgrade(ctx, "sldep-bench", "1.1.0")
        upgrade = time.monotonic() - t0
        assert [s.component for s in out.plan.changes()] == ["c07"]
    finally:
        with contextlib.suppress(Exception):
            ops.uninstall(ctx, "sldep-bench", purge=True)
    return Round(plain, install, upgrade)


class Round(NamedTuple):
    plain: float
    install: float
    upgrade: float


def print_table(rounds: list[Round]) -> None:
    plain = statistics.median(r.plain for r in rounds)
    install = statistics.median(r.install for r in rounds)
    upgrade = statistics.median(r.upgrade for r in rounds)
    print(
        f"median of {len(rounds)} rounds; each round: "
        + ", ".join(
            f"plain {r.plain:.1f}s / install {r.install:.1f}s / upgrade {r.upgrade:.1f}s"
            for r in rounds
        )
    )
    print(f"| {COUNT}-component app                   | seconds | ratio | target |")
    print("|-------------------------------------|--------:|------:|-------:|")
    print(f"| plain docker-py script (load+start) | {plain:7.2f} |  1.00 |        |")
    print(
        f"| sealift install                     | {install:7.2f} | {install / plain:5.2f} "
        "| <= 1.3 |"
    )
    print(
        f"| sealift upgrade (1 component)       | {upgrade:7.2f} | {upgrade / install:5.2f} "
        "| <= 0.10 of install |"
    )


if __name__ == "__main__":
    main()
