"""Shared fixtures. Tests that need Docker fail (never skip) when it is missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except Exception as exc:  # any failure here means "no engine"
        pytest.fail(
            f"the Docker engine is required and not reachable: {exc}; "
            "run `make setup` (it starts dockerd)"
        )
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real CNCF distribution registry on 127.0.0.1; yields `127.0.0.1:PORT`."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("docker-registry is required; run `make setup`")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
    )
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    address = f"127.0.0.1:{port}"
    _wait_for_port(port, proc)
    yield address
    proc.terminate()
    proc.wait(timeout=10)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("docker-registry exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("docker-registry did not start listening")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh SEALIFT_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    return path


SEALIFT = str(
    Path(os.environ.get("VIRTUAL_ENV", Path(__file__).parent.parent / ".venv")) / "bin" / "sealift"
)  # the venv's console script: the real command a user runs


def sealift_command(home: Path, *args: str) -> list[str]:
    return [SEALIFT, "--home", str(home), *args]


def run_sealift(
    home: Path,
    *args: str,
    check: bool = True,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `sealift` command as a user would."""
    cmd = sealift_command(home, *args)
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


from multiarch import arch_images, multi  # noqa: E402,F401  (shared fixtures)
