"""Last fixes that keep a converted model valid when the input itself clashes."""

from __future__ import annotations

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
