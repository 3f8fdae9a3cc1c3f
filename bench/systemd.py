"""Benchmark: installing the example shop with --target systemd (inside a container run by
systemd, images flattened from the store) against --target docker on this host's engine
(images loaded from the store), the same bundle, in the same run. Each round starts with
neither the engine's images nor any root directory.

    .venv/bin/python bench/systemd.py [--repeat N] [--suite trixie]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # conftest imports its neighbours by name

from tests.conftest import free_port, run_sealift  # noqa: E402
from tests.rootfs import rootfs_image  # noqa: E402
from tests.sitepyz import runtime_pyz  # noqa: E402
from tests.systemdhost import SystemdHost, build_shop_images, shop_model  # noqa: E402

PREFIX = "sl-sd/shop"  # the tests' images (a cache of the engine)
INSTANCE = "sl-sd-bench"


def make_bundle(work: Path) -> tuple[Path, list[str]]:
    """The shop 1.0.0 bundle, of images only this run has (the engine forgets them): the
    example images with a label of this run, so their ids are shared with no other tag."""
    label = uuid.uuid4().hex[:8]
    images = {key: own_image(ref, label) for key, ref in build_shop_images(PREFIX).items()}
    model = work / "shop.yaml"
    model.write_text(shop_model("1.0.0", images))
    run_sealift(work / "vendor", "publish", str(model), "--source", "engine")
    bundle = work / "shop.tar"
    pyz = str(runtime_pyz())
    run_sealift(work / "vendor", "export", "shop:1.0.0", "-o", str(bundle), "--runtime", pyz)
    ids = image_ids(sorted(set(images.values())))
    remove_images(sorted(set(images.values())))
    return bundle, ids


def own_image(ref: str, label: str) -> str:
    tag = f"{ref.rsplit(':', 1)[0]}:bench-{label}"
    dockerfile = f"FROM {ref}\nLABEL org.sealift.bench={label}\n"
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, "-"],
        input=dockerfile,
        text=True,
        check=True,
        capture_output=True,
    )
    return tag


def image_ids(refs: list[str]) -> list[str]:
    done = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", *refs],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def remove_images(refs: list[str]) -> None:
    """Forget this run's images (never -f: an image another tag names stays)."""
    subprocess.run(["docker", "image", "rm", *refs], capture_output=True)


def docker_round(site: Path, ids: list[str]) -> float:
    args = ["--name", INSTANCE, "--set", f"public_port={free_port()}"]
    start = time.monotonic()
    run_sealift(site, "install", "shop:1.0.0", "--target", "docker", *args)
    elapsed = time.monotonic() - start
    run_sealift(site, "uninstall", INSTANCE, "--purge")
    remove_images(ids)  # loaded from the store by the install
    return elapsed


def systemd_round(host: SystemdHost) -> float:
    site = ("sealift", "--home", "/root/site")
    start = time.monotonic()
    host.run(*site, "install", "shop:1.0.0", "--target", "systemd", "--name", INSTANCE)
    elapsed = time.monotonic() - start
    host.run(*site, "uninstall", INSTANCE, "--purge")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="Rounds (median is reported).")
    parser.add_argument("--suite", default="trixie", help="Debian release of the systemd host.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sl-sd-bench-") as tmp:
        work = Path(tmp)
        bundle, ids = make_bundle(work)
        run_sealift(work / "site", "import", str(bundle))
        host = SystemdHost(rootfs_image(args.suite), {bundle: "/bundle/shop.tar"})
        try:
            host.install_sealift("/bundle/shop.tar")
            host.run("sealift", "--home", "/root/site", "import", "/bundle/shop.tar")
            rounds = [
                (docker_round(work / "site", ids), systemd_round(host)) for _ in range(args.repeat)
            ]
        finally:
            host.remove()
    print_table(rounds, args.suite)


def print_table(rounds: list[tuple[float, float]], suite: str) -> None:
    docker = statistics.median(r[0] for r in rounds)
    systemd = statistics.median(r[1] for r in rounds)
    print(
        f"median of {len(rounds)} rounds; each round: "
        + ", ".join(f"docker {d:.1f}s / systemd {s:.1f}s" for d, s in rounds)
    )
    print("| install of examples/shop 1.0.0 (4 components) | seconds | ratio | target |")
    print("|-----------------------------------------------|--------:|------:|-------:|")
    print(f"| --target docker (this host's engine)          | {docker:7.2f} |  1.00 |        |")
    print(
        f"| --target systemd ({suite}, in a container)     | {systemd:7.2f} "
        f"| {systemd / docker:5.2f} |  < 2.0 |"
    )


if __name__ == "__main__":
    main()
