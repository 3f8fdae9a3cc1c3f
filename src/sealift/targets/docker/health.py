"""Health gates: a component is ready when its check passes on every replica.

http and tcp checks probe from this host, by the container's address on the installation
network, so they work for images with no tools at all (FROM scratch). exec checks run the
model's command inside the container through the Engine API (the image must have it).
Probing from the host needs the engine to be local (the usual single-host site).
A component without a check must stay running, unrestarted, for a settle period.
"""

from __future__ import annotations

import http.client
import socket
import time
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from sealift.targets.base import HealthGateError

LOG_LINES = 15


def wait_ready(
    client: docker.DockerClient,
    containers: list[Container],
    component: str,
    spec: dict[str, Any],
    network: str,
    deadline: float,
    settle: float,
) -> None:
    for container in containers:
        if spec["health"] is None:
            _settle(container, component, min(deadline, time.monotonic() + settle))
        else:
            _gate(client, container, component, spec["health"], network, deadline)


def _settle(container: Container, component: str, until: float) -> None:
    while True:
        _check_alive(container, component)
        if time.monotonic() >= until:
            return
        time.sleep(0.25)


def _gate(
    client: docker.DockerClient,
    container: Container,
    component: str,
    health: dict[str, Any],
    network: str,
    deadline: float,
) -> None:
    interval = max(0.1, min(float(health["interval"]), 2.0))
    last_error = "not checked yet"
    while True:
        _check_alive(container, component)
        last_error = probe(client, container, health, network)
        if not last_error:
            return
        if time.monotonic() + interval > deadline:
            raise HealthGateError(
                component,
                f"health check ({describe(health)}) did not pass in time: {last_error}",
                log_tail(container),
            )
        time.sleep(interval)


def _check_alive(container: Container, component: str) -> None:
    container.reload()
    state = container.attrs["State"]
    if state.get("Restarting") or container.attrs.get("RestartCount", 0) > 0:
        raise HealthGateError(
            component,
            f"container {container.name} is restarting (exit code {state.get('ExitCode')})",
            log_tail(container),
        )
    if not state.get("Running"):
        raise HealthGateError(
            component,
            f"container {container.name} exited with code {state.get('ExitCode')}",
            log_tail(container),
        )


def probe(
    client: docker.DockerClient, container: Container, health: dict[str, Any], network: str
) -> str:
    """'' if the check passes now, else why not."""
    timeout = float(health["timeout"])
    if health["kind"] == "exec":
        return _probe_exec(client, container, health["command"])
    address = container_address(container, network)
    if not address:
        return "the container has no address on the network yet"
    if health["kind"] == "tcp":
        return _probe_tcp(address, int(health["port"]), timeout)
    return _probe_http(address, int(health["port"]), health["path"], timeout)


def describe(health: dict[str, Any]) -> str:
    if health["kind"] == "http":
        return f"http GET :{health['port']}{health['path']}"
    if health["kind"] == "tcp":
        return f"tcp :{health['port']}"
    return "exec " + " ".join(health["command"])


def container_address(container: Container, network: str) -> str:
    networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
    return str((networks.get(network) or {}).get("IPAddress") or "")


def _probe_tcp(address: str, port: int, timeout: float) -> str:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return ""
    except OSError as exc:
        return f"cannot connect to port {port}: {exc.strerror or exc}"


def _probe_http(address: str, port: int, path: str, timeout: float) -> str:
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return f"GET {path} on port {port} failed: {exc}"
    finally:
        conn.close()
    return "" if 200 <= status < 400 else f"GET {path} answered {status}"


def _probe_exec(client: docker.DockerClient, container: Container, command: list[str]) -> str:
    try:
        exec_id = client.api.exec_create(container.id, command)["Id"]
        output = client.api.exec_start(exec_id)
        code = client.api.exec_inspect(exec_id).get("ExitCode")
    except docker.errors.APIError as exc:
        return f"cannot run the check: {exc.explanation or exc}"
    if code == 0:
        return ""
    text = output.decode(errors="replace").strip().splitlines()
    return f"exit code {code}" + (f": {text[-1]}" if text else "")


def log_tail(container: Container, lines: int = LOG_LINES) -> list[str]:
    try:
        data: bytes = container.logs(tail=lines)
    except docker.errors.APIError:
        return []
    return data.decode(errors="replace").splitlines()[-lines:]
