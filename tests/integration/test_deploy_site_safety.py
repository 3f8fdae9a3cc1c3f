# ruff: noqa: F811 - pytest fixtures are imported from test_deploy_support
"""Hostile testing of the site side, through the real CLI and engine: colliding names,
bind addresses, generated secrets that must outlive a failed install or an uninstall,
a failed first install, and secrets in error text."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from sealift.yamltext import dump_yaml
from tests.conftest import run_sealift, sealift_command
from tests.integration.test_deploy_support import (  # noqa: F401 - fixtures
    IMAGE,
    cleanup,
    copy_home,
    http_get,
    install,
    market_home,
    site,
    wait_pending,
)

SLEEP = ["sleep", "3600"]
APP_A = {  # installation `c`: component `x`, volume `store-data` -> c-x-store-data
    "schema": "sealift/v1",
    "name": "slsafe",
    "version": "1.0.0",
    "parameters": {
        "pin": {"type": "integer", "secret": True, "default": 1},
        "token": {"secret": True, "generate": 16},
    },
    "components": {
        "x": {
            "image": IMAGE,
            "command": SLEEP,
            "env": {"TOKEN": "${token}", "PIN": "${pin}"},
            "volumes": [{"name": "store-data", "path": "/data"}],
        }
    },
}
APP_B = {  # installation `c-x`: component `store`, volume `data` -> c-x-store-data
    "schema": "sealift/v1",
    "name": "slsafeb",
    "version": "1.0.0",
    "components": {
        "store": {"image": IMAGE, "command": SLEEP, "volumes": [{"name": "data", "path": "/data"}]}
    },
}

APP_LEAKY = {  # prints its secret and exits: the log tail quoted in the error holds it
    "schema": "sealift/v1",
    "name": "slleaky",
    "version": "1.0.0",
    "parameters": {"api_key": {"secret": True}},
    "components": {
        "leaky": {
            "image": IMAGE,
            "command": ["sh", "-c", "echo API_KEY=$API_KEY; exit 3"],
            "env": {"API_KEY": "${api_key}"},
        }
    },
}


@pytest.fixture(scope="module")
def safe_market(market_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = copy_home(market_home, tmp_path_factory.mktemp("safe-market"))
    for model in (APP_A, APP_B, APP_LEAKY):
        path = home / f"{model['name']}.yaml"
        path.write_text(dump_yaml(model))
        run_sealift(home, "publish", str(path))
    return home


@pytest.fixture
def safe_home(
    safe_market: Path, tmp_path: Path, docker_client: docker.DockerClient
) -> Iterator[Path]:
    home = copy_home(safe_market, tmp_path / "site")
    yield home
    for instance in ("slown", "slown-x", "slown2", "slnw", "slnw2", "slsec"):
        cleanup(docker_client, instance)
    for name in ("slnw_default", "slnw2"):
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.networks.get(name).remove()
    with contextlib.suppress(docker.errors.NotFound):
        docker_client.containers.get("slown2-x-1").remove(force=True)


def _labelled(client: docker.DockerClient, instance: str) -> dict[str, list[Any]]:
    label = {"label": [f"dev.sealift.installation={instance}"]}
    return {
        "containers": client.containers.list(all=True, filters=label),
        "volumes": client.volumes.list(filters=label),
        "networks": client.networks.list(filters=label),
    }


def _error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_colliding_volume_name_is_refused_before_anything_changes(
    safe_home: Path, docker_client: docker.DockerClient
) -> None:
    run_sealift(safe_home, "install", "slsafeb:1.0.0", "--name", "slown-x")
    result = run_sealift(safe_home, "install", "slsafe:1.0.0", "--name", "slown", check=False)
    assert result.returncode == 1
    (line,) = _error_lines(result.stderr)
    assert "volume named slown-x-store-data exists and belongs to installation slown-x" in line
    assert "installation slown needs that name" in line
    assert not any(_labelled(docker_client, "slown").values())
    assert docker_client.containers.get("slown-x-store-1").status == "running"
    assert json.loads(run_sealift(safe_home, "status", "--json").stdout)[0]["name"] == "slown-x"


def test_purge_never_deletes_a_volume_another_installation_uses(
    safe_home: Path, docker_client: docker.DockerClient
) -> None:
    """A collision made by the first release (which reused the volume): `uninstall c
    --purge` must not delete the data of `c-x`."""
    run_sealift(safe_home, "install", "slsafe:1.0.0", "--name", "slown")
    other = docker_client.containers.create(
        IMAGE,
        SLEEP,
        name="slown-x-store-1",
        labels={"dev.sealift.installation": "slown-x"},
        volumes={"slown-x-store-data": {"bind": "/data", "mode": "rw"}},
    )
    try:
        result = run_sealift(safe_home, "uninstall", "slown", "--purge", check=False)
        (line,) = _error_lines(result.stderr)
        assert "used by container slown-x-store-1, which belongs to installation slown-x" in line
        assert docker_client.volumes.get("slown-x-store-data")
    finally:
        other.remove(force=True)


def test_container_of_another_installation_is_not_taken(
    safe_home: Path, docker_client: docker.DockerClient
) -> None:
    docker_client.containers.create(
        IMAGE, SLEEP, name="slown2-x-1", labels={"dev.sealift.installation": "someone"}
    )
    result = run_sealift(safe_home, "install", "slsafe:1.0.0", "--name", "slown2", check=False)
    (line,) = _error_lines(result.stderr)
    assert "container named slown2-x-1 exists and belongs to installation someone" in line
    assert "installation slown2 needs that name" in line
    assert docker_client.containers.get("slown2-x-1").labels["dev.sealift.installation"] == (
        "someone"
    )


def test_network_is_found_by_its_exact_name(
    safe_home: Path, docker_client: docker.DockerClient
) -> None:
    docker_client.networks.create("slnw_default", driver="bridge")  # as docker compose makes
    run_sealift(safe_home, "install", "slsafeb:1.0.0", "--name", "slnw")
    assert docker_client.containers.get("slnw-store-1").status == "running"
    docker_client.networks.create("slnw2", driver="bridge")  # not sealift's
    result = run_sealift(safe_home, "install", "slsafeb:1.0.0", "--name", "slnw2", check=False)
    (line,) = _error_lines(result.stderr)
    assert "a network named slnw2 exists and was not made by sealift" in line


def _other_local_address() -> str:
    """An IPv4 address of this machine other than loopback (e.g. the docker0 bridge's)."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True)
    found = [line.split()[3].split("/")[0] for line in out.stdout.splitlines()]
    others = [a for a in found if not a.startswith("127.")]
    assert others, out.stdout
    return others[0]


def test_bind_address_is_an_ip_address_and_binds_only_there(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    args = ["install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}"]
    result = run_sealift(home, *args, "--bind-address", "localhost", check=False)
    (line,) = _error_lines(result.stderr)
    assert "'localhost' is not an IP address" in line and "127.0.0.1" in line
    assert json.loads(run_sealift(home, "status", "--json").stdout) == []
    install(home, instance, port)  # --bind-address 127.0.0.1
    assert http_get(port) == "hello v1"
    with pytest.raises(OSError), socket.create_connection((_other_local_address(), port), 2):
        pass


def _env_of(client: docker.DockerClient, container: str) -> dict[str, str]:
    env = client.containers.get(container).attrs["Config"]["Env"]
    return dict(item.split("=", 1) for item in env)


def test_generated_secret_lives_as_long_as_the_data(
    safe_home: Path, docker_client: docker.DockerClient
) -> None:
    install_args = ("install", "slsafe:1.0.0", "--name", "slsec")
    run_sealift(safe_home, *install_args)
    first = _env_of(docker_client, "slsec-x-1")["TOKEN"]
    run_sealift(safe_home, "uninstall", "slsec")
    run_sealift(safe_home, *install_args)
    assert _env_of(docker_client, "slsec-x-1")["TOKEN"] == first
    run_sealift(safe_home, "uninstall", "slsec", "--purge")
    run_sealift(safe_home, *install_args)
    assert _env_of(docker_client, "slsec-x-1")["TOKEN"] != first


def _kept(home: Path, instance: str) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(home / "state.db")) as db:
        rows = db.execute(
            "SELECT name, value FROM kept_values WHERE installation = ?", (instance,)
        ).fetchall()
    return dict(rows)


def test_failed_first_install_leaves_no_installation_but_keeps_data_and_secret(
    site: tuple[Path, str, int], docker_client: docker.DockerClient
) -> None:
    home, instance, port = site
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = run_sealift(
            home, "install", "sldapp:1.0.0", "--name", instance, "--set", f"port={port}",
            "--bind-address", "127.0.0.1", check=False,
        )  # fmt: skip
    assert result.returncode == 1 and f"port {port} is already in use" in result.stderr
    assert json.loads(run_sealift(home, "status", "--json").stdout) == []
    assert docker_client.volumes.get(f"{instance}-store-data")
    password = _kept(home, instance)["password"]
    install(home, instance, port)
    assert _env_of(docker_client, f"{instance}-web-1")["PASSWORD"] == password


def test_secret_values_never_reach_error_text(safe_home: Path) -> None:
    result = run_sealift(
        safe_home, "install", "slsafe:1.0.0", "--name", "slsec", "--set", "pin=hunter2",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "hunter2" not in result.stderr + result.stdout
    assert "parameter 'pin' '***' is not an integer" in result.stderr
    leaked = run_sealift(
        safe_home, "install", "slleaky:1.0.0", "--name", "slsec", "--set",
        "api_key=S3cr3t-v4lue", "--timeout", "20s", check=False,
    )  # fmt: skip
    assert leaked.returncode == 1
    assert "API_KEY=***" in leaked.stderr
    assert "S3cr3t-v4lue" not in leaked.stderr + leaked.stdout


class HangingProxy:
    """A unix socket in front of the engine's that stops passing bytes while `hang` is set:
    an engine that stops answering, seen through the real code path (DOCKER_HOST)."""

    def __init__(self, path: Path, upstream: str = "/var/run/docker.sock") -> None:
        self.hang = threading.Event()
        self.hang_at = b""  # set: hang when a request that contains these bytes comes
        self.upstream = upstream
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(self.upstream)
            for source, dest in ((client, engine), (engine, client)):
                threading.Thread(target=self._pump, args=(source, dest), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.hang_at and self.hang_at in data:  # the call that makes it hang
                    self.hang_at = b""
                    self.hang.set()
                while self.hang.is_set():
                    time.sleep(0.05)
                dest.sendall(data)
        for sock in (source, dest):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def test_engine_that_stops_answering_mid_upgrade(
    site: tuple[Path, str, int], tmp_path: Path
) -> None:
    """Every engine call is bounded by --timeout: the upgrade fails in one line within
    about that time and restores the previous revision once the engine answers again."""
    home, instance, port = site
    install(home, instance, port)
    proxy = HangingProxy(tmp_path / "engine.sock")
    proxy.hang_at = b"/start HTTP/1.1"  # the upgrade's first container start, mid-upgrade
    upgrade = subprocess.Popen(
        sealift_command(home, "upgrade", instance, "1.1.0", "--timeout", "4s"),
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/engine.sock"},
    )
    deadline = time.monotonic() + 60
    while not proxy.hang.is_set():
        assert time.monotonic() < deadline and upgrade.poll() is None, "it never started one"
        time.sleep(0.02)
    started = time.monotonic()
    time.sleep(6)
    proxy.hang.clear()
    _, err = upgrade.communicate(timeout=60)
    elapsed = time.monotonic() - started
    proxy.server.close()
    assert upgrade.returncode == 1
    (line,) = _error_lines(err)
    assert "did not answer in time" in line and "restored revision 1" in line
    assert elapsed < 25
    assert http_get(port, attempts=1) == "hello v1"
