"""Debian root filesystems of other releases and architectures, as Docker images.

Built once with mmdebstrap from Debian's own packages (the mirror apt already uses),
cached as tars outside the repository (`~/.cache/sealift-test/rootfs`, or
$SEALIFT_TEST_CACHE) and imported into the engine as `sealift-test-rootfs:SUITE-ARCH`.
Each carries python3 (bullseye: 3.9, bookworm: 3.11, trixie: 3.13), systemd as a
possible PID 1 and a static busybox. Run as a script to warm the cache:
`python tests/rootfs.py bullseye:amd64 trixie:amd64 bookworm:arm64` (scripts/setup.sh does;
`--check` only says, by its exit status, whether every image exists).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
PACKAGES = "systemd,systemd-sysv,dbus,python3,busybox-static,procps,iproute2"


def cache_dir() -> Path:
    base = os.environ.get("SEALIFT_TEST_CACHE") or str(Path.home() / ".cache" / "sealift-test")
    path = Path(base) / "rootfs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def rootfs_tar(suite: str, arch: str = "amd64") -> Path:
    """The cached tar of `suite` for `arch`, built on first use (bullseye ~2 min,
    trixie ~40 s, arm64 under qemu ~4 min). Safe when several processes ask at once."""
    out = cache_dir() / f"{suite}-{arch}.tar"
    with open(cache_dir() / f".{suite}-{arch}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _build(suite, arch, out)
    return out


def _build(suite: str, arch: str, out: Path) -> None:
    partial = out.with_suffix(".partial.tar")
    subprocess.run(
        [
            "mmdebstrap",
            "--variant=minbase",
            f"--arch={arch}",
            f"--include={PACKAGES}",
            suite,
            str(partial),
            MIRROR,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    partial.rename(out)


def rootfs_image(suite: str, arch: str = "amd64") -> str:
    """A Docker image of the root filesystem (CMD systemd), imported once per engine."""
    name = f"sealift-test-rootfs:{suite}-{arch}"
    if not _image_exists(name):
        tar = rootfs_tar(suite, arch)
        subprocess.run(
            [
                "docker",
                "import",
                "--platform",
                f"linux/{arch}",
                "-c",
                'CMD ["/lib/systemd/systemd"]',
                str(tar),
                name,
            ],
            check=True,
            capture_output=True,
        )
    return name


def _image_exists(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0


if __name__ == "__main__":
    check = "--check" in sys.argv
    for wanted in (a for a in sys.argv[1:] if a != "--check"):
        suite, _, arch = wanted.partition(":")
        if check:
            if not _image_exists(f"sealift-test-rootfs:{suite}-{arch or 'amd64'}"):
                sys.exit(1)
        else:
            print(rootfs_image(suite, arch or "amd64"))
