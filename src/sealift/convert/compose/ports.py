"""Compose `ports` (short and long syntax, ranges, ip:host:container, /udp) and `expose`."""

from __future__ import annotations

from typing import Any

from sealift.convert.compose.context import ComposeContext
from sealift.convert.documents import expect_scalar, scalar_text
from sealift.errors import ConvertError

Port = dict[str, Any]
_LONG_KEYS = ("target", "published", "protocol", "host_ip", "name", "mode")


def convert_ports(entries: list[Any], ctx: ComposeContext, where: str) -> list[Port]:
    ports: list[Port] = []
    for i, entry in enumerate(entries):
        spot = f"{where}[{i}]"
        is_long = isinstance(entry, dict)
        ports.extend(_long(entry, ctx, spot) if is_long else _short(entry, ctx, spot))
    return ports


def convert_expose(entries: list[Any], ctx: ComposeContext, where: str) -> list[Port]:
    ports: list[Port] = []
    for i, entry in enumerate(entries):
        text, protocol = _protocol(ctx.interp.literal(expect_scalar(entry, where), where))
        ports.extend(_internal(port, protocol) for port in _range(text, f"{where}[{i}]"))
    return ports


def unique_ports(ports: list[Port], where: str, ctx: ComposeContext) -> list[Port]:
    """One entry per (port, protocol); an exposed entry wins over an internal one."""
    chosen: dict[tuple[int, str], Port] = {}
    for port in ports:
        key = (port["port"], port.get("protocol", "tcp"))
        if key in chosen and chosen[key].get("expose") and port.get("expose"):
            ctx.warn(f"{where}: port {key[0]}/{key[1]} is published twice; kept the first")
            continue
        if key not in chosen or port.get("expose"):
            chosen[key] = port
    return list(chosen.values())


def _short(entry: Any, ctx: ComposeContext, where: str) -> list[Port]:
    text, protocol = _protocol(scalar_text(entry))
    parts = _split_colons(text)
    if len(parts) > 3:
        raise ConvertError(f"{where}: {text!r} is not a port mapping; write HOST:CONTAINER")
    container = ctx.interp.literal(parts[-1], where)
    host = parts[-2] if len(parts) >= 2 else ""
    if len(parts) == 3:
        _note_host_ip(ctx.interp.literal(parts[0], where), where, ctx)
    return _published(_range(container, where), host, protocol, ctx, where)


def _long(entry: dict[str, Any], ctx: ComposeContext, where: str) -> list[Port]:
    if "target" not in entry:
        raise ConvertError(f"{where}: a long-syntax port needs `target`; fix the compose file")
    container = _range(ctx.interp.literal(scalar_text(entry["target"]), where), where)
    protocol = scalar_text(entry.get("protocol", "tcp")).lower()
    _note_host_ip(scalar_text(entry.get("host_ip", "")), where, ctx)
    if entry.get("published") in (None, ""):
        ports = [_internal(port, protocol) for port in container]
    else:
        ports = _published(container, scalar_text(entry["published"]), protocol, ctx, where)
    if "name" in entry and len(ports) == 1:
        ports[0]["name"] = scalar_text(entry["name"])
    lost = [key for key in entry if key not in _LONG_KEYS]
    if scalar_text(entry.get("mode", "ingress")) != "ingress":
        lost.append(f"mode {entry['mode']}")
    if lost:
        ctx.warn(f"{where}: not mapped: {', '.join(lost)}")
    return ports


def _published(
    container: list[int], host: str, protocol: str, ctx: ComposeContext, where: str
) -> list[Port]:
    variable = ctx.interp.single_variable(host) if host else None
    if variable is not None and len(container) == 1:
        name = ctx.interp.declare(variable, integer=True)
        return [_exposed(container[0], protocol, "${" + name + "}")]
    if not host:
        ctx.warn(
            f"{where}: compose publishes port {container[0]} on a random host port; "
            "sealift publishes it on the same port number"
        )
        return [_exposed(port, protocol, port) for port in container]
    hosts = _range(ctx.interp.literal(host, where), where)
    if len(hosts) != len(container):
        ctx.warn(
            f"{where}: host port range {host} does not match the container ports; using {hosts[0]}"
        )
        hosts = list(range(hosts[0], hosts[0] + len(container)))
    return [_exposed(port, protocol, hp) for port, hp in zip(container, hosts)]


def _exposed(port: int, protocol: str, host_port: int | str) -> Port:
    return {**_internal(port, protocol), "expose": True, "host_port": host_port}


def _internal(port: int, protocol: str) -> Port:
    return {"port": port, "protocol": protocol} if protocol != "tcp" else {"port": port}


def _protocol(text: str) -> tuple[str, str]:
    body, _, protocol = text.strip().partition("/")
    return body, (protocol or "tcp").lower()


def _range(text: str, where: str) -> list[int]:
    first, _, last = text.strip().partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise ConvertError(f"{where}: {text!r} is not a port or port range") from None
    if not 1 <= low <= high <= 65535:
        raise ConvertError(f"{where}: {text!r} is not a port range within 1-65535")
    return list(range(low, high + 1))


def _split_colons(text: str) -> list[str]:
    """Split on `:` outside `${...}` (a default like `${PORT:-80}` holds a colon)."""
    parts, current, depth = [], "", 0
    for i, char in enumerate(text):
        if char == "{" and text[i - 1 : i] == "$":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _note_host_ip(host_ip: str, where: str, ctx: ComposeContext) -> None:
    if host_ip not in ("", "0.0.0.0", "::", "[::]"):
        ctx.warn(
            f"{where}: compose binds this port to {host_ip} only; the app model has no "
            "host address, so sealift publishes it on every address"
        )
