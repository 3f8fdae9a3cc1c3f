"""Health gates: a component is ready when its check passes on every replica.

How checks run (works with images that have no tools at all, FROM scratch, and with sealift
itself running without any network, e.g. under `unshare -n` at an offline site):

- http and tcp: probe.py runs as a child process inside the container's network namespace,
  `nsenter --net=/proc/<State.Pid>/ns/net <python> -I probe.py ...`, and connects to
  127.0.0.1:<port> as the container itself sees it. Nothing of the image is used, and no
  route from this host to the container is needed. It needs the right to enter namespaces
  (root), nsenter (util-linux) and a local engine (its unix socket) whose container PIDs
  this host sees. Without those (a user in the `docker` group, an engine over TCP, nsenter
  refused), the same probe connects from here to the container's address on its network,
  which a local engine's bridge networks make reachable; a service listening only on the
  container's own 127.0.0.1 then cannot be checked.
- exec: the model's command runs inside the container through the Engine API (the image
  must have it).

Gating follows Docker's HEALTHCHECK rules: checks that fail within `start_period` do not
count; after it, `retries` failed checks in a row, `interval` apart, make the component
unhealthy and fail the gate at once. The overall deadline (--timeout) bounds the wait too.
Probes run more often than `interval` so that a ready component is seen ready soon.
A component without a check must stay running, unrestarted, for a settle period.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from sealift.targets.base import HealthGateError
from sealift.targets.checks import FailedChecks, describe
from sealift.targets.probe import probe_http, probe_tcp

LOG_LINES = 15
PROBE = Path(__file__).parent.parent / "probe.py"
PROBE_STARTUP = 5.0  # seconds allowed on top of the check's timeout to start the probe
MAX_POLL = 1.0
_REFUSED = re.compile(r"Permission denied|Operation not permitted")


def wait_ready(
    client: docker.DockerClient,
    containers: list[Container],
    component: str,
    spec: dict[str, Any],
    deadline: float,
    settle: float,
) -> None:
    started = time.monotonic()
    for container in containers:
        if spec.get("kind") == "job":
            _wait_completed(container, component, deadline)
        elif spec["health"] is None:
            _settle(container, component, min(deadline, time.monotonic() + settle))
        else:
            _gate(client, container, component, spec["health"], started, deadline)


def _settle(container: Container, component: str, until: float) -> None:
    while True:
        _check_alive(container, component)
        if time.monotonic() >= until:
            return
        time.sleep(0.25)


def _wait_completed(container: Container, component: str, deadline: float) -> None:
    """A job is ready when it has exited with code 0 (and the engine restarts it no more)."""
    while True:
        container.reload()
        state = container.attrs["State"]
        if not state.get("Running") and not state.get("Restarting"):
            code = state.get("ExitCode")
            if code == 0:
                return
            raise HealthGateError(
                component, f"job {container.name} failed with exit code {code}", log_tail(container)
            )
        if time.monotonic() >= deadline:
            raise HealthGateError(
                component, f"job {container.name} did not complete in time", log_tail(container)
            )
        time.sleep(0.25)


def _gate(
    client: docker.DockerClient,
    container: Container,
    component: str,
    health: dict[str, Any],
    started: float,
    deadline: float,
) -> None:
    poll = max(0.1, min(float(health["interval"]), MAX_POLL))
    failed = FailedChecks.of(health, started)
    while True:
        _check_alive(container, component)
        why_not = probe(client, container, health)
        if not why_not:
            return
        if failed.unhealthy_after_failure(time.monotonic()):
            reason = f"unhealthy: health check ({describe(health)}) failed {failed.count} times"
            raise HealthGateError(component, f"{reason} in a row: {why_not}", log_tail(container))
        if time.monotonic() + poll > deadline:
            raise HealthGateError(
                component,
                f"health check ({describe(health)}) did not pass in time: {why_not}",
                log_tail(container),
            )
        time.sleep(poll)


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


def probe(client: docker.DockerClient, container: Container, health: dict[str, Any]) -> str:
    """'' if the check passes now, else why not."""
    if health["kind"] == "exec":
        return _probe_exec(client, container, health["command"])
    pid = int(container.attrs.get("State", {}).get("Pid") or 0)
    if not pid:
        return "the container is not running"
    port, timeout = int(health["port"]), float(health["timeout"])
    if can_enter_netns(client):
        args = [str(port)] + ([str(health["path"])] if health["kind"] == "http" else [])
        headers = [f"{k}:{v}" for k, v in (health.get("headers") or {}).items()]
        try:
            return probe_in_netns(pid, [health["kind"], *args], timeout, headers)
        except CannotEnterError:
            _Nsenter.refused = True  # every later probe goes straight to the address
    return _probe_from_here(container, health, port, timeout)


class CannotEnterError(Exception):
    """nsenter is missing or may not enter the namespace (no root, no capability)."""


class _Nsenter:
    refused = False  # once refused, not tried again by this process


def can_enter_netns(client: docker.DockerClient) -> bool:
    """nsenter is worth trying: the engine is on this host's unix socket (its container
    PIDs are ours) and nsenter has not been refused before in this process."""
    local = str(client.api.base_url).startswith("http+docker://")
    return local and not _Nsenter.refused and shutil.which("nsenter") is not None


def probe_in_netns(
    pid: int, args: list[str], timeout: float, extra: list[str] | None = None
) -> str:
    """Run probe.py with `args`, the timeout and `extra` in the network namespace of `pid`."""
    # -S: no site-packages (probe.py needs the standard library only): starts twice as fast
    command = ["nsenter", f"--net=/proc/{pid}/ns/net", "--", sys.executable, "-I", "-S", str(PROBE)]
    try:
        done = subprocess.run(
            [*command, *args, str(timeout), *(extra or [])],
            capture_output=True,
            text=True,
            timeout=timeout + PROBE_STARTUP,
            check=False,
        )
    except FileNotFoundError:
        raise CannotEnterError("nsenter is not installed") from None
    except subprocess.TimeoutExpired:
        return f"the probe did not finish within {timeout + PROBE_STARTUP:g}s"
    if done.returncode == 0:
        return ""
    if done.stderr.startswith("nsenter:") and _REFUSED.search(done.stderr):
        raise CannotEnterError(done.stderr.strip())  # not for a container that just died
    said = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return said[-1] if said else f"the probe failed with exit code {done.returncode}"


def _probe_from_here(
    container: Container, health: dict[str, Any], port: int, timeout: float
) -> str:
    networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
    addresses = [n.get("IPAddress") for n in networks.values() if n.get("IPAddress")]
    if not addresses:
        return "the container has no network address to probe"
    if health["kind"] == "http":
        headers = dict(health.get("headers") or {})
        return probe_http(port, str(health["path"]), timeout, addresses[0], headers)
    return probe_tcp(port, timeout, host=addresses[0])


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
