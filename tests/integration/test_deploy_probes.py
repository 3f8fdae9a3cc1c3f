# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""Health checks when sealift may not enter a container's network namespace (a site user
in the `docker` group, not root): the probe goes to the container's address instead. Root
without any capability stands in for that user (the venv's Python lives under /root)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import sealift_command
from tests.integration.test_deploy_support import (  # noqa: F401 - fixtures
    http_get,
    market_home,
    site,
)

NO_CAPABILITIES = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]


def unprivileged(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*NO_CAPABILITIES, *sealift_command(home, *args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def test_probes_without_the_right_to_enter_namespaces(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    assert subprocess.run([*NO_CAPABILITIES, "nsenter", "--net=/proc/1/ns/net", "true"]).returncode
    installed = unprivileged(
        home, "install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}",
        "--bind-address", "127.0.0.1", "--timeout", "60s",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    status = json.loads(unprivileged(home, "status", instance, "--json").stdout)[0]
    health = {c["component"]: c["health"] for c in status["components"]}
    assert health == {"store": "healthy", "web": "healthy"}
    assert http_get(port) == "hello v1"
    # 1.3.0's check asks for a page that is not there: the probe really runs, and fails
    broken = unprivileged(home, "upgrade", instance, "1.3.0", "--timeout", "60s")
    assert broken.returncode == 1
    assert "GET /missing answered 404" in broken.stderr, broken.stderr
    assert http_get(port) == "hello v1"
