"""Last fixes that keep a converted model valid when the input itself clashes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sealift.convert.units import quantity_bytes


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


def single_replica_on_host_ports(
    components: dict[str, dict[str, Any]], warnings: list[str]
) -> None:
    """Replicas cannot share a fixed host port (Compose fails on the second one): keep one."""
    for name, component in components.items():
        published = [p["port"] for p in component.get("ports", []) if p.get("expose")]
        if component.get("replicas", 1) > 1 and published:
            warnings.append(
                f"{name}: {component['replicas']} replicas cannot share the published host "
                f"port of {published[0]}; converted with 1 replica"
            )
            component["replicas"] = 1


def put_shared_volumes(model: dict[str, Any], components: dict[str, dict[str, Any]]) -> None:
    """A volume mounted by several components is declared once at the app level (`volumes`),
    with the largest size its mounts asked for; the mounts then carry no size."""
    users: dict[str, set[str]] = {}
    for name, component in components.items():
        for volume in component.get("volumes", []):
            users.setdefault(volume["name"], set()).add(name)
    shared = sorted(volume for volume, names in users.items() if len(names) > 1)
    if not shared:
        return
    declared: dict[str, dict[str, Any]] = {volume: {} for volume in shared}
    for component in components.values():
        for volume in component.get("volumes", []):
            size = volume.pop("size", None) if volume["name"] in declared else None
            if size is not None:
                _keep_larger(declared[volume["name"]], size)
    model["volumes"] = declared


def _keep_larger(declaration: dict[str, Any], size: str) -> None:
    current = declaration.get("size")
    if current is None or quantity_bytes(size) > quantity_bytes(current):
        declaration["size"] = size
