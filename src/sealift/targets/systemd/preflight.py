"""What the systemd target checks before anything changes: the host (root, run by systemd
>= 247), free disk for the root directories, and ports. Components share the host's
network, so two of them listening on one port, or a port some other program holds, are
refused naming both. Each problem is one line saying what the site needs."""

from __future__ import annotations

import os
import platform as host
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sealift.errors import PlatformError, SystemdError
from sealift.oci.descriptor import Platform
from sealift.targets.base import DesiredComponent
from sealift.targets.systemd.systemctl import Systemd

MIN_SYSTEMD = 247
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
PROC_NET = Path("/proc/net")
LISTEN = {"tcp": "0A", "tcp6": "0A", "udp": "07", "udp6": "07"}


def host_platform() -> Platform:
    machine = host.machine()
    if machine not in ARCHES:
        raise PlatformError(f"this host's architecture {machine} is not amd64 or arm64")
    return Platform("linux", ARCHES[machine])


def host_problems(systemd: Systemd) -> list[str]:
    problems = []
    if os.geteuid() != 0:
        problems.append("the systemd target must run as root (it writes units and roots)")
    if not systemd.is_booted():
        problems.append("this host is not run by systemd (no /run/systemd/system)")
    else:
        version = systemd.version()
        if version < MIN_SYSTEMD:
            problems.append(f"systemd {version} runs here; the systemd target needs >= 247")
    return problems


def refuse(problems: list[str]) -> None:
    if problems:
        raise SystemdError("; ".join(problems))


def port_problems(desired: list[DesiredComponent], own: Iterable[int]) -> list[str]:
    """Two components on one port, or a port held on the host by something other than
    this installation (`own`: the ports its units hold now)."""
    problems: list[str] = []
    seen: dict[int, str] = {}
    held = listening_ports() - set(own)
    for component in desired:
        for port, role in _ports_of(component.spec):
            who = f"{component.name} ({role})"
            if port in seen:
                problems.append(f"port {port}: both {seen[port]} and {who} listen on it")
            elif port in held:
                problems.append(f"port {port} of {who} is already used on this host")
            seen.setdefault(port, who)
    return problems


def _ports_of(spec: dict[str, Any]) -> list[tuple[int, str]]:
    ports = [(int(p), "its port") for p in spec.get("listen", [])]
    for exposed in spec.get("ports", []):
        if int(exposed["host_port"]) != int(exposed["port"]):
            ports.append((int(exposed["host_port"]), f"host_port for {exposed['port']}"))
    return ports


def listening_ports(proc_net: Path = PROC_NET) -> set[int]:
    """Ports some socket on this host listens on (tcp) or is bound to (udp)."""
    found: set[int] = set()
    for name, state in LISTEN.items():
        try:
            lines = (proc_net / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == state:
                found.add(int(fields[1].rsplit(":", 1)[1], 16))
    return found
