"""One compose service -> one app-model component."""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

from sealift.convert.cleanup import unique_mounts
from sealift.convert.compose import health, ports, runtime, storage
from sealift.convert.compose.context import ComposeContext
from sealift.convert.compose.envfiles import parse_env_text
from sealift.convert.compose.interpolate import Variable
from sealift.convert.documents import expect_map, expect_scalar, scalar_text
from sealift.convert.naming import escape_template
from sealift.convert.units import cpu, memory_from_compose
from sealift.errors import ConvertError

Component = dict[str, Any]

_HANDLED = {
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "depends_on",
    "volumes",
    "configs",
    "secrets",
    "healthcheck",
    "deploy",
    "restart",
    "user",
    "working_dir",
    "labels",
    "profiles",
    "scale",
    "mem_limit",
    "cpus",
    "networks",
    "read_only",
    "cap_add",
    "cap_drop",
    "security_opt",
}
_DEPLOY_HANDLED = {"replicas", "resources", "restart_policy"}


def convert_service(
    service: str, body: dict[str, Any], names: dict[str, str], ctx: ComposeContext
) -> Component:
    """`names` maps every compose service name to its component name."""
    where = f"services.{service}"
    component: Component = {"image": _image(service, body, ctx, where)}
    _put(component, "entrypoint", _command(body.get("entrypoint"), ctx, f"{where}.entrypoint"))
    _put(component, "command", _command(body.get("command"), ctx, f"{where}.command"))
    _put(component, "env", _environment(body, ctx, where))
    _put(component, "working_dir", _working_dir(body, ctx, where))
    if body.get("user") is not None:
        component["user"] = ctx.interp.literal(expect_scalar(body["user"], where), where)
    _put(component, "ports", _ports(body, ctx, where))
    _put(component, "depends_on", runtime.depends_on(body, names, ctx, where))
    if body.get("healthcheck") is not None:
        _put(
            component,
            "health",
            health.convert_healthcheck(body["healthcheck"], ctx, f"{where}.healthcheck"),
        )
    _put_replicas(component, body, ctx, where)
    _put_storage(component, body, ctx, where)
    _put(component, "resources", _resources(body, ctx, where))
    component["restart"] = runtime.restart(body, ctx, where)
    _put(component, "security", runtime.security(body, ctx, where))
    _put(component, "labels", _labels(body, ctx, where))
    if service in ctx.jobs:
        runtime.make_job(component, ctx, where)
    _warn_unmapped(service, body, ctx)
    return component


def _put(component: Component, key: str, value: Any) -> None:
    if value not in (None, [], {}):
        component[key] = value


def _image(service: str, body: dict[str, Any], ctx: ComposeContext, where: str) -> str:
    if body.get("image"):
        image = ctx.interp.literal(expect_scalar(body["image"], where), f"{where}.image")
        if "build" in body:
            ctx.warn(f"{where}: built from source; build it as {image} before publish")
        return image.rstrip(":")
    if "build" not in body:
        raise ConvertError(f"{where}: has neither `image` nor `build`; give it an image")
    image = f"{ctx.project}-{service}:latest".lower()
    ctx.warn(
        f"{where}: built from source and has no `image`; named it {image}: build it "
        "under that name (or set `image:`) before publish"
    )
    return image


def _command(value: Any, ctx: ComposeContext, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [ctx.interp.template(scalar_text(word)) for word in value]
    try:
        return shlex.split(ctx.interp.template(expect_scalar(value, where)))
    except ValueError as exc:
        raise ConvertError(f"{where}: cannot split {value!r} into words ({exc})") from None


def _environment(body: dict[str, Any], ctx: ComposeContext, where: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for path in _env_files(body.get("env_file"), ctx, f"{where}.env_file"):
        for key, value in parse_env_text(ctx.inp.files[path]).items():
            env[key] = escape_template(value) if value is not None else _passed(key, ctx)
    for key, value in body.get("environment", {}).items():
        env[key] = _passed(key, ctx) if value is None else ctx.interp.template(value)
    return env


def _passed(key: str, ctx: ComposeContext) -> str:
    """`KEY` with no value takes it from the environment: a parameter at install."""
    return "${" + ctx.interp.declare(Variable(key, op="from-environment")) + "}"


def _env_files(value: Any, ctx: ComposeContext, where: str) -> list[str]:
    """The paths of the service's env files that were read (made absolute when loading)."""
    found = []
    for entry in value or []:
        path = scalar_text(entry.get("path", ""))
        if path in ctx.inp.files:
            found.append(path)
        elif entry.get("required", True) is not False:
            shown = entry.get("shown", path)
            ctx.warn(f"{where}: env file {shown} was not found; its variables are left out")
    return found


def _working_dir(body: dict[str, Any], ctx: ComposeContext, where: str) -> str | None:
    if body.get("working_dir") is None:
        return None
    path = ctx.interp.literal(expect_scalar(body["working_dir"], where), where)
    if not posixpath.isabs(path):
        ctx.warn(f"{where}.working_dir: {path!r} is not absolute; left out")
        return None
    return path


def _ports(body: dict[str, Any], ctx: ComposeContext, where: str) -> list[dict[str, Any]]:
    found = ports.convert_ports(body.get("ports", []), ctx, f"{where}.ports")
    found += ports.convert_expose(body.get("expose", []), ctx, f"{where}.expose")
    return ports.unique_ports(found, where, ctx)


def _put_replicas(
    component: Component, body: dict[str, Any], ctx: ComposeContext, where: str
) -> None:
    deploy = expect_map(body.get("deploy"), f"{where}.deploy")
    value = deploy.get("replicas", body.get("scale"))
    if value is not None:
        component["replicas"] = int(ctx.interp.literal(scalar_text(value), where))


def _put_storage(
    component: Component, body: dict[str, Any], ctx: ComposeContext, where: str
) -> None:
    volumes, configs = storage.convert_mounts(body.get("volumes", []), ctx, f"{where}.volumes")
    configs += storage.convert_references(
        "configs", body.get("configs", []), ctx, f"{where}.configs"
    )
    configs += storage.convert_references(
        "secrets", body.get("secrets", []), ctx, f"{where}.secrets"
    )
    if volumes:
        component["stateful"] = True
        component["volumes"] = unique_mounts(volumes, "path", ctx.warn, where)
    _put(component, "configs", unique_mounts(configs, "path", ctx.warn, where))


def _resources(body: dict[str, Any], ctx: ComposeContext, where: str) -> dict[str, str]:
    deploy = ctx.interp.resolve_tree(expect_map(body.get("deploy"), where), where)
    limits = expect_map(expect_map(deploy.get("resources"), where).get("limits"), where)
    result = {}
    cpus = limits.get("cpus", body.get("cpus"))
    if cpus is not None:
        result["cpu"] = cpu(ctx.interp.literal(scalar_text(cpus), where), f"{where}.cpus")
    memory = limits.get("memory", body.get("mem_limit"))
    if memory is not None:
        text = ctx.interp.literal(scalar_text(memory), where)
        result["memory"] = memory_from_compose(text, f"{where}.memory")
    return result


def _labels(body: dict[str, Any], ctx: ComposeContext, where: str) -> dict[str, str]:
    return {
        key: ctx.interp.literal(value or "", f"{where}.labels")
        for key, value in body.get("labels", {}).items()
    }


def _warn_unmapped(service: str, body: dict[str, Any], ctx: ComposeContext) -> None:
    keys = [key for key in body if key not in _HANDLED and not key.startswith("x-")]
    deploy = expect_map(body.get("deploy"), service)
    keys += [f"deploy.{key}" for key in deploy if key not in _DEPLOY_HANDLED]
    resources = expect_map(deploy.get("resources"), service)
    keys += [f"deploy.resources.{key}" for key in resources if key != "limits"]
    check = body.get("healthcheck")
    if isinstance(check, dict):
        keys += [f"healthcheck.{key}" for key in check if key not in health.MAPPED_KEYS]
    networks = body.get("networks")
    if isinstance(networks, dict) and any(networks.values()):
        keys.append("networks (aliases and addresses)")
    if keys:
        ctx.warn(f"services.{service}: not mapped: {', '.join(keys)}")
