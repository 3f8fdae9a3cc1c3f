"""Container probes -> `health`: readiness preferred over liveness, then startup."""

from __future__ import annotations

from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.units import seconds

PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
_TIMING = {
    "periodSeconds": "interval",
    "timeoutSeconds": "timeout",
    "initialDelaySeconds": "start_period",
}


def container_health(
    container: dict[str, Any], port_names: dict[str, int], ctx: KubeContext, where: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The health check and the probe key it came from."""
    for key in PROBES:
        if key in container:
            probe = expect_map(container[key], f"{where}.{key}")
            check = _check(probe, port_names, ctx, f"{where}.{key}")
            return (None if check is None else {**check, **_timing(probe)}), key
    return None, None


def _check(
    probe: dict[str, Any], port_names: dict[str, int], ctx: KubeContext, where: str
) -> dict[str, Any] | None:
    if "httpGet" in probe:
        return _http(expect_map(probe["httpGet"], where), port_names, ctx, where)
    if "grpc" in probe:
        grpc = expect_map(probe["grpc"], where)
        port = resolve_port(grpc.get("port"), port_names, ctx, where)
        ctx.warn(
            f"{where}: the grpc probe has no equivalent; checked as a TCP connection to "
            f"port {port} instead"
        )
        return None if port is None else {"tcp": {"port": port}}
    if "tcpSocket" in probe:
        port = resolve_port(
            expect_map(probe["tcpSocket"], where).get("port"), port_names, ctx, where
        )
        return None if port is None else {"tcp": {"port": port}}
    if "exec" in probe:
        command = expect_map(probe["exec"], where).get("command") or []
        return {"exec": {"command": [scalar_text(word) for word in command]}}
    ctx.warn(f"{where}: only httpGet, tcpSocket, grpc and exec probes are converted; left out")
    return None


def _http(
    http: dict[str, Any], port_names: dict[str, int], ctx: KubeContext, where: str
) -> dict[str, Any] | None:
    port = resolve_port(http.get("port"), port_names, ctx, where)
    if port is None:
        return None
    check: dict[str, Any] = {"path": scalar_text(http.get("path") or "/"), "port": port}
    headers = {}
    for i, raw in enumerate(expect_list(http.get("httpHeaders"), f"{where}.httpHeaders")):
        header = expect_map(raw, f"{where}.httpHeaders[{i}]")
        headers[scalar_text(header.get("name"))] = scalar_text(header.get("value"))
    if headers:
        check["headers"] = headers
    lost = [k for k in http if k not in ("path", "port", "httpHeaders")]
    if scalar_text(http.get("scheme", "HTTP")).upper() == "HTTP" and "scheme" in lost:
        lost.remove("scheme")
    if lost:
        ctx.warn(f"{where}.httpGet: not mapped: {', '.join(lost)}")
    return {"http": check}


def _timing(probe: dict[str, Any]) -> dict[str, Any]:
    timing: dict[str, Any] = {
        field: seconds(int(probe[key])) for key, field in _TIMING.items() if key in probe
    }
    if "failureThreshold" in probe:
        timing["retries"] = max(int(probe["failureThreshold"]), 1)
    return timing


def resolve_port(
    value: Any, port_names: dict[str, int], ctx: KubeContext, where: str
) -> int | None:
    """A port number, or a container port's name looked up in `port_names`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = scalar_text(value)
    if text.isdigit():
        return int(text)
    if text in port_names:
        return port_names[text]
    ctx.warn(f"{where}: no container port named {text!r}; left out")
    return None
