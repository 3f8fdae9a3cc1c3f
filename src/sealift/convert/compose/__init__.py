"""Compose Specification files -> app model (pure: the caller passes every text in)."""

from __future__ import annotations

from typing import Any

from sealift.convert.cleanup import drop_clashing_host_ports
from sealift.convert.compose.context import ComposeContext
from sealift.convert.compose.envfiles import defined, parse_env_text
from sealift.convert.compose.interpolate import Interpolator
from sealift.convert.compose.merge import merge_files
from sealift.convert.compose.service import convert_service
from sealift.convert.compose.shapes import string_list
from sealift.convert.documents import (
    expect_map,
    load_documents,
    scalar_text,
    unexpected_shape,
)
from sealift.convert.inputs import ConversionResult, ConvertInput
from sealift.convert.naming import dns_name
from sealift.errors import ConvertError

__all__ = ["convert_compose", "referenced_paths"]

DEFAULT_VERSION = "0.1.0"


def convert_compose(inp: ConvertInput) -> ConversionResult:
    project = load_project(inp)
    ctx = _context(inp, project)
    services = expect_map(project.get("services"), "services")
    if not services:
        raise ConvertError(f"{inp.source_label}: no services found; is this a compose file?")
    names = _component_names(services, ctx)
    components = {names[s]: _service(s, body, names, ctx) for s, body in services.items()}
    _warn_profiles(services, ctx)
    _warn_top_level(project, ctx)
    drop_clashing_host_ports(components, ctx.warnings)
    model: dict[str, Any] = {
        "schema": "sealift/v1",
        "name": ctx.project,
        "version": _meta(project, "version") or DEFAULT_VERSION,
    }
    if _meta(project, "description"):
        model["description"] = _meta(project, "description")
    if ctx.interp.parameters:
        model["parameters"] = ctx.interp.parameters
    model["components"] = components
    return ConversionResult(model, [*ctx.interp.warnings, *ctx.warnings])


def _service(
    service: str, body: dict[str, Any], names: dict[str, str], ctx: ComposeContext
) -> dict[str, Any]:
    try:
        return convert_service(service, body, names, ctx)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise unexpected_shape(ctx.inp.source_label, f"services.{service}", exc) from None


def load_project(inp: ConvertInput) -> dict[str, Any]:
    """The compose files of `inp`, each one mapping, merged in order."""
    documents = []
    for source in inp.sources:
        loaded = load_documents(source)
        if len(loaded) != 1 or not isinstance(loaded[0], dict):
            raise ConvertError(f"{source.name}: a compose file is one YAML mapping; fix the file")
        documents.append((source.name, loaded[0]))
    return merge_files(documents)


def referenced_paths(inp: ConvertInput) -> list[str]:
    """Absolute paths the compose files point at, for the caller to read into `inp.files`."""
    project = load_project(inp)
    interp = Interpolator(_dotenv(inp))
    paths: list[str] = []
    for name, body in expect_map(project.get("services"), "services").items():
        service = interp.resolve_tree(body, f"services.{name}")
        env_files = service.get("env_file") or []
        for entry in [env_files] if isinstance(env_files, str | dict) else env_files:
            paths.append(scalar_text(entry.get("path") if isinstance(entry, dict) else entry))
        paths += [_bind_source(volume) for volume in service.get("volumes") or []]
    for kind in ("configs", "secrets"):
        for definition in expect_map(project.get(kind), kind).values():
            if isinstance(definition, dict) and "file" in definition:
                paths.append(interp.literal(scalar_text(definition["file"]), kind))
    return sorted({inp.resolve(path) for path in paths if path})


def dotenv_path(inp: ConvertInput) -> str:
    return inp.resolve(".env")


def _dotenv(inp: ConvertInput) -> dict[str, str]:
    text = inp.files.get(dotenv_path(inp))
    return defined(parse_env_text(text)) if text is not None else {}


def _bind_source(volume: Any) -> str:
    if isinstance(volume, dict):
        return scalar_text(volume.get("source", "")) if volume.get("type") == "bind" else ""
    source = scalar_text(volume).split(":")[0]
    return source if ":" in scalar_text(volume) and source.startswith((".", "/")) else ""


def _context(inp: ConvertInput, project: dict[str, Any]) -> ComposeContext:
    interp = Interpolator(_dotenv(inp))
    name = inp.name or interp.literal(scalar_text(project.get("name") or ""), "name")
    top_level = {
        kind: expect_map(project.get(kind), kind) for kind in ("volumes", "configs", "secrets")
    }
    return ComposeContext(inp, interp, dns_name(name or inp.directory_name), top_level)


def _component_names(services: dict[str, Any], ctx: ComposeContext) -> dict[str, str]:
    names: dict[str, str] = {}
    for service in services:
        name = dns_name(service, "service")
        if name in names.values():
            raise ConvertError(
                f"services.{service}: its component name {name!r} is taken by "
                "another service; rename one of them"
            )
        if name != service:
            ctx.warn(
                f"services.{service}: renamed to component {name!r}; other services "
                f"must reach it as {name}"
            )
        names[service] = name
    return names


def _warn_profiles(services: dict[str, Any], ctx: ComposeContext) -> None:
    in_profiles = {
        s: string_list(b.get("profiles"), f"services.{s}.profiles")
        for s, b in services.items()
        if b.get("profiles")
    }
    if in_profiles:
        listed = ", ".join(f"{s} ({', '.join(p)})" for s, p in in_profiles.items())
        ctx.warn(f"profiles are not carried: every service is converted, including {listed}")


def _warn_top_level(project: dict[str, Any], ctx: ComposeContext) -> None:
    for name, volume in ctx.top_level["volumes"].items():
        keys = [k for k in expect_map(volume, f"volumes.{name}") if k != "name"]
        if keys:
            ctx.warn(f"volumes.{name}: not mapped: {', '.join(keys)}")
    if any(network for network in expect_map(project.get("networks"), "networks").values()):
        ctx.warn("networks: not mapped; every component joins the app's one network")


def _meta(project: dict[str, Any], key: str) -> str | None:
    """`x-sealift: {version, description}` in the compose file."""
    value = expect_map(project.get("x-sealift"), "x-sealift").get(key)
    return None if value is None else scalar_text(value)
