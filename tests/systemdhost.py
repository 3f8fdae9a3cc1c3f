"""A host run by systemd with no container engine, for the systemd target's tests: a
container of a cached Debian root filesystem (tests/rootfs.py) with systemd as PID 1, and
the example shop as a bundle to import there (its web listens on 8080 and its api on 8081,
so both fit on the host's network that a systemd host's components share).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sealift.yamltext import dump_yaml, load_yaml

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"
SYSTEMD_FLAGS = [
    "--cap-add",
    "SYS_ADMIN",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:ro",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--tmpfs",
    "/tmp:exec",
]


def docker(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done


class SystemdHost:
    """A running container with systemd as PID 1; `run` executes a command inside it."""

    def __init__(self, image: str, mounts: dict[Path, str], boot_timeout: float = 60) -> None:
        self.name = f"sl-sd-{uuid.uuid4().hex[:8]}"
        volumes = [f"-v{src}:{dest}:ro" for src, dest in mounts.items()]
        docker(
            "run",
            "-d",
            "--name",
            self.name,
            *SYSTEMD_FLAGS,
            *volumes,
            image,
            "/lib/systemd/systemd",
        )
        try:
            self._wait_running(boot_timeout)
        except BaseException:
            self.remove()
            raise

    def _wait_running(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = self.run("systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):  # degraded: under qemu, a few units fail
                return
            time.sleep(0.5)
        raise AssertionError(f"systemd in {self.name} is {state!r} after {timeout}s")

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        done = docker("exec", self.name, *args, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done

    def install_sealift(self, bundle: str) -> None:
        """What a site does: take sealift.pyz out of the bundle with tar, run it with the
        host's python3 (`sealift` on PATH is that)."""
        self.run("tar", "-xf", bundle, "-C", "/root", "sealift.pyz")
        script = '#!/bin/sh\nexec python3 /root/sealift.pyz "$@"\n'
        self.run("sh", "-c", f"printf '%s' '{script}' > /usr/local/bin/sealift")
        self.run("chmod", "+x", "/usr/local/bin/sealift")

    def get(self, url: str, data: str | None = None) -> str:
        """An HTTP request from inside the host (its python3); '' when it fails."""
        code = (
            "import sys, urllib.request as r\n"
            "data = sys.argv[2].encode() if len(sys.argv) > 2 else None\n"
            "sys.stdout.write(r.urlopen(sys.argv[1], data, timeout=5).read().decode())\n"
        )
        args = [url] + ([data] if data is not None else [])
        done = self.run("python3", "-c", code, *args, check=False)
        return done.stdout if done.returncode == 0 else ""

    def remove(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False)


def build_shop_images(prefix: str, arch: str = "amd64") -> dict[tuple[str, str], str]:
    """(component, app version) -> the local engine's image of it for `arch` (built once,
    cached by the engine)."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "example-images.py"),
            "--prefix",
            prefix,
            "--arch",
            arch,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    images = {}
    for line in done.stdout.splitlines():
        component, version, source = line.split()
        images[(component, version)] = f"{prefix}/{component}:{source}-{arch}"
    return images


def shop_model(version: str, images: dict[tuple[str, str], str], *, publish_as: str = "") -> str:
    """The shop's model of `version` with images from the engine; `publish_as`: the same, as
    a version whose api never becomes healthy."""
    model: dict[str, Any] = load_yaml((SHOP / version / "sealift.yaml").read_text()).data
    components = model["components"]
    for name, component in components.items():
        component["image"] = images[(name, version)]
    if publish_as:
        model["version"] = publish_as
        api = components["api"]
        api["health"] = {
            "http": {"path": "/never", "port": api["health"]["http"]["port"]},
            "interval": "1s",
            "retries": 3,
        }
    return dump_yaml(model)


TOOLS_SCRIPT = (
    "touch /data/ok-$$; touch /root-is-writable 2>/dev/null && echo ROOT-WRITABLE; "
    "echo replica up; while true; do sleep 1; done"
)


def tools_model(image: str) -> str:
    """A job, a replicated service with an exec health check and a locked-down root, on one
    busybox image (the shop's worker)."""
    return dump_yaml(
        {
            "schema": "sealift/v1",
            "name": "tools",
            "version": "1.0.0",
            "volumes": {"data": {}},
            "components": {
                "init": {
                    "kind": "job",
                    "image": image,
                    "command": ["sh", "-c", "echo ready > /data/init"],
                    "volumes": [{"name": "data", "path": "/data"}],
                },
                "svc": {
                    "image": image,
                    "command": ["sh", "-c", TOOLS_SCRIPT],
                    "replicas": 2,
                    "depends_on": [{"component": "init", "condition": "completed"}],
                    "volumes": [{"name": "data", "path": "/data"}],
                    "health": {"exec": {"command": ["test", "-f", "/data/init"]}, "interval": "1s"},
                    "security": {
                        "read_only_root": True,
                        "cap_drop": ["ALL"],
                        "no_new_privileges": True,
                    },
                },
            },
        }
    )
