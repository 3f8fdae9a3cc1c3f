"""Compose `volumes`, `configs` and `secrets` of a service -> persistent volumes and configs.

Named volumes and bind-mounted directories of the project become volumes (the component is
then stateful); bind-mounted files of the project and `file:` configs/secrets become configs
with the file's content (secrets as secret configs). Host paths outside the project
(`/etc/timezone`, `/var/run/docker.sock`) are never read; tmpfs and anonymous volumes cannot
be carried. Each of those is reported.
"""

from __future__ import annotations

import posixpath
from typing import Any

from sealift.convert.compose.context import ComposeContext
from sealift.convert.compose.project import ROOT_KEY, inside
from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.naming import dns_name, escape_template
from sealift.convert.units import file_mode
from sealift.errors import ConvertError

Entry = dict[str, Any]
_OWNERSHIP = ("uid", "gid")


def convert_mounts(
    entries: list[Any], ctx: ComposeContext, where: str
) -> tuple[list[Entry], list[Entry]]:
    """(volumes, configs) of a service's `volumes:` (long syntax, paths absolute)."""
    volumes: list[Entry] = []
    configs: list[Entry] = []
    for i, raw in enumerate(expect_list(entries, where)):
        spot = f"{where}[{i}]"
        mount = expect_map(raw, spot)
        kind, source = scalar_text(mount.get("type")), scalar_text(mount.get("source", ""))
        target = scalar_text(mount["target"])
        if kind == "volume" and source:
            volumes.append(_volume(dns_name(source, "data"), target, mount, ctx, spot))
        elif kind == "bind":
            _bind(mount, source, target, ctx, spot, volumes, configs)
        else:
            ctx.warn(
                f"{spot}: the {kind or 'anonymous'} volume at {target} is not persistent "
                "and is not carried; the container gets an empty directory"
            )
    return volumes, configs


def convert_references(
    kind: str, entries: list[Any], ctx: ComposeContext, where: str
) -> list[Entry]:
    """A service's `configs:` or `secrets:` (short or long syntax) -> configs."""
    configs = []
    for i, raw in enumerate(expect_list(entries, where)):
        spot = f"{where}[{i}]"
        ref = expect_map(raw, spot) if isinstance(raw, dict) else {"source": scalar_text(raw)}
        config = _reference(kind, ref, ctx, spot)
        if config is not None:
            configs.append(config)
    return configs


def _volume(name: str, target: str, mount: Entry, ctx: ComposeContext, where: str) -> Entry:
    volume: Entry = {"name": name, "path": target}
    if mount.get("read_only") is True:
        volume["read_only"] = True
    options = expect_map(mount.get("volume"), f"{where}.volume")
    if options.get("subpath"):
        volume["subpath"] = scalar_text(options["subpath"])
    lost = [f"volume.{k}" for k in options if k != "subpath"]
    lost += [k for k in ("bind", "tmpfs", "consistency") if k in mount]
    if lost:
        ctx.warn(f"{where}: not mapped: {', '.join(lost)}")
    return volume


def _bind(
    mount: Entry,
    source: str,
    target: str,
    ctx: ComposeContext,
    where: str,
    volumes: list[Entry],
    configs: list[Entry],
) -> None:
    root = scalar_text(mount.get(ROOT_KEY) or ctx.inp.project_dir)
    shown = _shown(source, root)
    if not inside(source, root):
        ctx.warn(
            f"{where}: {shown} is a path of the host outside the project; it is not read "
            f"from this machine and not carried: the container at {target} gets the image's "
            "content (mount it at the site if it needs one)"
        )
    elif source in ctx.inp.files:
        config: Entry = {"path": target, "content": escape_template(ctx.inp.files[source])}
        configs.append(config)
    elif source in ctx.inp.unreadable:
        ctx.warn(f"{where}: {shown} cannot be carried: {ctx.inp.unreadable[source]}")
    else:
        name = dns_name(posixpath.relpath(source, root), "data")
        if name in ctx.top_level.get("volumes", {}):
            name = dns_name(f"{name}-dir")  # not the named volume of the same name
        found = "" if source in ctx.inp.directories else " (not found; Compose creates it)"
        ctx.warn(
            f"{where}: the host directory {shown}{found} becomes the persistent volume "
            f"{name!r} at {target}, which starts empty: its files are not copied"
        )
        volumes.append(_volume(name, target, mount, ctx, where))


def _shown(path: str, root: str) -> str:
    if inside(path, root):
        return "./" + posixpath.relpath(path, root) if path != root else "."
    return path


def _reference(kind: str, ref: Entry, ctx: ComposeContext, where: str) -> Entry | None:
    name = scalar_text(ref.get("source", ""))
    definition = ctx.definition(kind, name)
    if definition is None:
        raise ConvertError(f"{where}: no top-level {kind} entry named {name!r}; fix the file")
    content = _definition_content(kind, name, definition, ctx, where)
    if content is None:
        return None
    config: Entry = {"path": _target(kind, name, ref.get("target")), "content": content}
    if kind == "secrets":
        config["secret"] = True
    for key in _OWNERSHIP:
        if ref.get(key) is not None:
            config[key] = _number(ref[key], f"{where}.{key}")
    if ref.get("mode") is not None:
        config["mode"] = file_mode(ref["mode"], f"{where}.mode")
    return config


def _number(value: Any, where: str) -> int:
    text = scalar_text(value)
    if not text.isdigit():
        raise ConvertError(f"{where}: {text!r} is not a number; write a numeric id")
    return int(text)


def _definition_content(
    kind: str, name: str, definition: Entry, ctx: ComposeContext, where: str
) -> str | None:
    if "file" in definition:
        return _definition_file(scalar_text(definition["file"]), definition, ctx, where)
    if "content" in definition:
        return ctx.interp.template(scalar_text(definition["content"]))
    if "environment" in definition:
        variable = scalar_text(definition["environment"])
        content = ctx.interp.template("${" + variable + "}")
        if kind == "secrets":
            ctx.interp.parameters[variable]["secret"] = True
        return content
    ctx.warn(f"{where}: {kind} {name!r} is external or has no file; it is left out")
    return None


def _definition_file(path: str, definition: Entry, ctx: ComposeContext, where: str) -> str | None:
    root = scalar_text(definition.get(ROOT_KEY) or ctx.inp.project_dir)
    shown = _shown(path, root)
    if not inside(path, root):
        ctx.warn(f"{where}: {shown} is outside the project; it is not read and left out")
    elif path in ctx.inp.files:
        return escape_template(ctx.inp.files[path])
    elif path in ctx.inp.directories:
        ctx.warn(f"{where}: {shown} is a directory and is not carried; left out")
    elif path in ctx.inp.unreadable:
        ctx.warn(f"{where}: {shown} cannot be carried: {ctx.inp.unreadable[path]}")
    else:
        ctx.warn(f"{where}: {shown} was not found next to the compose file; it is left out")
    return None


def _target(kind: str, name: str, target: Any) -> str:
    base = "/run/secrets" if kind == "secrets" else "/"
    if target is None:
        return posixpath.join(base, name)
    return posixpath.join(base, scalar_text(target))


def bind_sources(services: dict[str, Any], definitions: list[Entry]) -> list[str]:
    """Project files the mounts and `file:` definitions may read (never outside their root)."""
    paths = []
    for body in services.values():
        for mount in body.get("volumes") or []:
            if isinstance(mount, dict) and mount.get("type") == "bind" and mount.get(ROOT_KEY):
                paths.append((scalar_text(mount.get("source", "")), mount[ROOT_KEY]))
    for definition in definitions:
        if isinstance(definition, dict) and definition.get(ROOT_KEY):
            paths.append((scalar_text(definition.get("file", "")), definition[ROOT_KEY]))
    return [path for path, root in paths if path and inside(path, scalar_text(root))]
