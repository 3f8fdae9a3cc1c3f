"""Services -> ports of the components they select; NodePort/LoadBalancer ports are exposed."""

from __future__ import annotations

from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.kubernetes.objects import Manifest
from sealift.convert.kubernetes.probes import resolve_port

_EXPOSING = ("NodePort", "LoadBalancer")


def apply_service(
    service: Manifest,
    pods: dict[str, dict[str, str]],
    components: dict[str, dict[str, Any]],
    ctx: KubeContext,
) -> None:
    """`pods` maps component names to their pod template labels."""
    spec = service.spec()
    selector = {k: scalar_text(v) for k, v in expect_map(spec.get("selector"), "selector").items()}
    targets = [
        name
        for name, labels in pods.items()
        if selector and all(labels.get(k) == v for k, v in selector.items())
    ]
    if not targets:
        ctx.warn(f"Service {service.name}: selects no converted workload; left out")
        return
    if service.name not in targets:
        ctx.warn(
            f"Service {service.name}: components reach {', '.join(targets)} by the "
            f"component name, not {service.name}; update addresses that use it"
        )
    exposed = scalar_text(spec.get("type", "ClusterIP")) in _EXPOSING
    for name in targets:
        for i, raw in enumerate(expect_list(spec.get("ports"), f"{service.where}.ports")):
            entry = expect_map(raw, f"{service.where}.ports[{i}]")
            _apply_port(entry, components[name], exposed, ctx, f"Service {service.name}")


def _apply_port(
    entry: dict[str, Any], component: dict[str, Any], exposed: bool, ctx: KubeContext, where: str
) -> None:
    names = {p["name"]: p["port"] for p in component.get("ports", []) if "name" in p}
    target = resolve_port(entry.get("targetPort", entry.get("port")), names, ctx, where)
    if target is None:
        return
    if int(entry.get("port", target)) != target:
        ctx.warn(
            f"{where}: port {entry.get('port')} forwards to {target}; components reach "
            f"it on {target}"
        )
    protocol = scalar_text(entry.get("protocol", "TCP")).lower()
    port = _find_or_add(component, target, protocol)
    if entry.get("name") and "name" not in port:
        port["name"] = scalar_text(entry["name"])
    if exposed:
        port["expose"] = True
        port["host_port"] = int(entry.get("nodePort") or entry.get("port") or target)


def _find_or_add(component: dict[str, Any], target: int, protocol: str) -> dict[str, Any]:
    ports = component.setdefault("ports", [])
    for port in ports:
        if port["port"] == target and port.get("protocol", "tcp") == protocol:
            found: dict[str, Any] = port
            return found
    port = {"port": target, **({"protocol": protocol} if protocol != "tcp" else {})}
    ports.append(port)
    return port
