# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""The site has no network: install, upgrade and status run under `unshare -n` (the Docker
socket is a file, so the engine still answers) and the http/tcp health gates still pass."""

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


def offline(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI with no network at all."""
    command = ["unshare", "-n", *sealift_command(home, *args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_install_upgrade_and_status_without_network(site: tuple[Path, str, int]) -> None:
    home, instance, port = site
    offline(home, "install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}",
            "--bind-address", "127.0.0.1", "--timeout", "30s")  # fmt: skip
    assert http_get(port) == "hello v1"  # from the host, as the site's users would

    offline(home, "upgrade", instance, "1.1.0", "--timeout", "30s")
    assert http_get(port) == "hello v2"

    status = json.loads(offline(home, "status", instance, "--json").stdout)[0]
    health = {c["component"]: c["health"] for c in status["components"]}
    assert health == {"store": "healthy", "web": "healthy", "worker": "no check"}
