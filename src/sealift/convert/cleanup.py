"""Last fixes that keep a converted model valid when the input itself clashes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def drop_clashing_host_ports(components: dict[str, dict[str, Any]], warnings: list[str]) -> None:
    """Two exposed ports with the same literal host port and protocol: the later is internal."""
    owners: dict[tuple[int, str], str] = {}
    for name, component in components.items():
        for port in component.get("ports", []):
            host = port.get("host_port", port["port"])
            if not port.get("expose") or not isinstance(host, int):
                continue
            key = (host, port.get("protocol", "tcp"))
            if key in owners:
                warnings.append(
                    f"{name}: host port {host}/{key[1]} is already published by "
                    f"{owners[key]}; port {port['port']} stays internal"
                )
                port.pop("expose")
                port.pop("host_port", None)
            else:
                owners[key] = name


def unique_mounts(
    entries: list[dict[str, Any]], key: str, warn: Callable[[str], None], where: str
) -> list[dict[str, Any]]:
    """Keep the first of several volumes or configs with the same `key` (name or path)."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry[key] in seen:
            warn(f"{where}: two mounts with the same {key} {entry[key]!r}; kept the first")
        else:
            seen[entry[key]] = entry
    return list(seen.values())
