"""Compose Specification files -> app model (pure: the caller passes every text in)."""

from __future__ import annotations

from typing import Any

from sealift.convert.cleanup import (
    drop_clashing_host_ports,
    put_shared_volumes,
    single_replica_on_host_ports,
)
from sealift.convert.compose import runtime, storage
from sealift.convert.compose.context import ComposeContext
from sealift.convert.compose.envfiles import compose_environment
from sealift.convert.compose.interpolate import Interpolator
from sealift.convert.compose.project import Loader
from sealift.convert.compose.service import convert_service
from sealift.convert.compose.shapes import string_list
from sealift.convert.documents import expect_map, scalar_text, unexpected_shape
from sealift.convert.inputs import ConversionResult, ConvertInput
from sealift.convert.naming import app_name, dns_name
from sealift.errors import ConvertError

__all__ = ["convert_compose", "dotenv_path", "referenced_paths"]

DEFAULT_VERSION = "0.1.0"


def convert_compose(inp: ConvertInput) -> ConversionResult:
    interp = Interpolator(_environment(inp), frozenset(inp.environment))
    project = Loader(inp, interp).project()
    ctx = _context(inp, project, interp)
    services = expect_map(project.get("services"), "services")
    if not services:
        raise ConvertError(f"{inp.source_label}: no services found; is this a compose file?")
    names = _component_names(services, ctx)
    ctx.jobs = runtime.jobs_of(services)
    components = {names[s]: _service(s, body, names, ctx) for s, body in services.items()}
    _warn_profiles(services, ctx)
    _warn_top_level(project, ctx)
    drop_clashing_host_ports(components, ctx.warnings)
    single_replica_on_host_ports(components, ctx.warnings)
    model: dict[str, Any] = {
        "schema": "sealift/v1",
        "name": ctx.project,
        "version": _meta(project, "version") or DEFAULT_VERSION,
    }
    if _meta(project, "description"):
        model["description"] = _meta(project, "description")
    if ctx.interp.parameters:
        model["parameters"] = ctx.interp.parameters
    put_shared_volumes(model, components)
    model["components"] = components
    return ConversionResult(model, [*ctx.interp.warnings, *ctx.warnings])


def _service(
    service: str, body: dict[str, Any], names: dict[str, str], ctx: ComposeContext
) -> dict[str, Any]:
    try:
        return convert_service(service, body, names, ctx)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise unexpected_shape(ctx.inp.source_label, f"services.{service}", exc) from None


def referenced_paths(inp: ConvertInput) -> list[str]:
    """Absolute paths the compose files point at, for the caller to read into `inp.files`.

    Included and extended files are among them: call again once they are read, until no
    new path comes back. Paths outside the project are never asked for.
    """
    wanted: set[str] = set()
    project = Loader(inp, Interpolator(_environment(inp)), wanted).project()
    services = expect_map(project.get("services"), "services")
    paths = set(wanted)
    for body in services.values():
        paths.update(scalar_text(entry.get("path", "")) for entry in body.get("env_file") or [])
    definitions = [
        *expect_map(project.get("configs"), "configs").values(),
        *expect_map(project.get("secrets"), "secrets").values(),
    ]
    paths.update(storage.bind_sources(services, definitions))
    return sorted(path for path in paths if path)


def dotenv_path(inp: ConvertInput) -> str:
    return inp.resolve(".env")


def _environment(inp: ConvertInput) -> dict[str, str]:
    """The shell's variables over the `--env-file` files, or over `.env` without them."""
    paths = list(inp.env_files) or [dotenv_path(inp)]
    texts = [(path, inp.files[path]) for path in paths if path in inp.files]
    return compose_environment(texts, inp.environment)


def _context(inp: ConvertInput, project: dict[str, Any], interp: Interpolator) -> ComposeContext:
    name = (
        inp.name
        or interp.env.get("COMPOSE_PROJECT_NAME")
        or interp.literal(scalar_text(project.get("name") or ""), "name")
    )
    top_level = {
        kind: expect_map(project.get(kind), kind) for kind in ("volumes", "configs", "secrets")
    }
    return ComposeContext(inp, interp, dns_name(name or app_name(inp)), top_level)


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
