"""Health gates on systemd, by the rules every driver follows (targets/checks.py).

Components share the host's network, so http and tcp checks connect to 127.0.0.1:<port>
from here. An exec check runs the model's command inside the component's root directory and
mount namespace, as its user, with `nsenter --target <MainPID> --mount --root --wd`. A unit
that restarted, failed or stopped fails its gate at once, with the last lines of its journal.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from sealift.targets.base import HealthGateError
from sealift.targets.checks import FailedChecks, describe
from sealift.targets.probe import probe_http, probe_tcp
from sealift.targets.systemd.launch import DEFAULT_PATH
from sealift.targets.systemd.systemctl import Systemd

LOG_LINES = 15
MAX_POLL = 1.0
EXEC_STARTUP = 5.0


class Gate:
    def __init__(self, systemd: Systemd, component: str, spec: dict[str, Any]) -> None:
        self.systemd, self.component, self.spec = systemd, component, spec

    def wait(self, units: list[str], deadline: float, settle: float) -> None:
        started = time.monotonic()
        for unit in units:
            if self.spec.get("kind") == "job":
                self._completed(unit, deadline)
            elif self.spec["health"] is None:
                self._settle(unit, min(deadline, time.monotonic() + settle))
            else:
                self._healthy(unit, started, deadline)

    def fail(self, unit: str, reason: str) -> HealthGateError:
        """The error with the last lines of the unit's current run."""
        run = self.systemd.show(unit).get("InvocationID", "")
        tail = list(self.systemd.journal([unit], LOG_LINES, False, run))
        return HealthGateError(self.component, reason, tail)

    def _completed(self, unit: str, deadline: float) -> None:
        while True:
            state = self.systemd.show(unit)
            if state.get("ActiveState") == "failed":
                code = state.get("ExecMainStatus", "?")
                raise self.fail(unit, f"job {unit} failed with exit code {code}")
            if state.get("ActiveState") == "active":
                return
            if time.monotonic() >= deadline:
                raise self.fail(unit, f"job {unit} did not complete in time")
            time.sleep(0.25)

    def _settle(self, unit: str, until: float) -> None:
        while True:
            self.check_alive(unit)
            if time.monotonic() >= until:
                return
            time.sleep(0.25)

    def check_alive(self, unit: str) -> dict[str, str]:
        state = self.systemd.show(unit)
        if int(state.get("NRestarts") or 0) > 0 or state.get("SubState") == "auto-restart":
            raise self.fail(
                unit, f"unit {unit} is restarting (exit code {state.get('ExecMainStatus')})"
            )
        if state.get("ActiveState") not in ("active", "activating"):
            raise self.fail(
                unit,
                f"unit {unit} is {state.get('ActiveState')} "
                f"(exit code {state.get('ExecMainStatus')})",
            )
        return state

    def _healthy(self, unit: str, started: float, deadline: float) -> None:
        health = self.spec["health"]
        poll = max(0.1, min(float(health["interval"]), MAX_POLL))
        failed = FailedChecks.of(health, started)
        while True:
            state = self.check_alive(unit)
            why_not = probe(self.spec, int(state.get("MainPID") or 0))
            if not why_not:
                return
            if failed.unhealthy_after_failure(time.monotonic()):
                reason = f"unhealthy: health check ({describe(health)}) failed {failed.count}"
                raise self.fail(unit, f"{reason} times in a row: {why_not}")
            if time.monotonic() + poll > deadline:
                raise self.fail(
                    unit, f"health check ({describe(health)}) did not pass in time: {why_not}"
                )
            time.sleep(poll)


def probe(spec: dict[str, Any], pid: int) -> str:
    """'' if the component's check passes now, else why not."""
    health = spec["health"]
    timeout = float(health["timeout"])
    if health["kind"] == "tcp":
        return probe_tcp(int(health["port"]), timeout)
    if health["kind"] == "http":
        headers = dict(health.get("headers") or {})
        return probe_http(int(health["port"]), str(health["path"]), timeout, headers=headers)
    if not pid:
        return "the unit has no running process"
    return probe_exec(pid, list(health["command"]), spec, timeout)


def probe_exec(pid: int, command: list[str], spec: dict[str, Any], timeout: float) -> str:
    enter = ["nsenter", f"--target={pid}", "--mount", "--root", "--wd"]
    user = _ids(pid)
    if user:
        enter += [f"--setuid={user[0]}", f"--setgid={user[1]}"]
    env = {"PATH": DEFAULT_PATH, **spec["env"]}
    try:
        done = subprocess.run(
            [*enter, "--", *command],
            capture_output=True,
            text=True,
            timeout=timeout + EXEC_STARTUP,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        return "cannot run the check: nsenter is not installed"
    except subprocess.TimeoutExpired:
        return f"the check did not finish within {timeout:g}s"
    if done.returncode == 0:
        return ""
    said = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return f"exit code {done.returncode}" + (f": {said[-1]}" if said else "")


def _ids(pid: int) -> tuple[int, int] | None:
    """The real uid and gid of process `pid` (None if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    fields = {
        line.split(":")[0]: line.split()[1] for line in status if line.startswith(("Uid:", "Gid:"))
    }
    return int(fields["Uid"]), int(fields["Gid"])
