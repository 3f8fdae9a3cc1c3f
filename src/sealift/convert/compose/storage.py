"""Compose `volumes`, `configs` and `secrets` of a service -> persistent volumes and configs.

Named volumes become volumes (the component is then stateful); bind-mounted files and
`file:` configs/secrets become configs with the file's content; directories, tmpfs and
anonymous volumes cannot be carried and are reported.
"""

from __future__ import annotations

import posixpath
from typing import Any

from sealift.convert.compose.context import ComposeContext
from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.naming import dns_name, escape_template
from sealift.errors import ConvertError

Entry = dict[str, Any]


def convert_mounts(
    entries: list[Any], ctx: ComposeContext, where: str
) -> tuple[list[Entry], list[Entry]]:
    """(volumes, configs) of a service's `volumes:`."""
    volumes: list[Entry] = []
    configs: list[Entry] = []
    for i, raw in enumerate(expect_list(entries, where)):
        spot = f"{where}[{i}]"
        kind, source, target = _mount(ctx.interp.resolve_tree(raw, spot), spot)
        if kind == "volume" and source:
            volumes.append({"name": dns_name(source, "data"), "path": target})
        elif kind == "bind":
            config = _bind_file(source, target, ctx, spot)
            if config is not None:
                configs.append(config)
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


def _mount(raw: Any, where: str) -> tuple[str, str, str]:
    if isinstance(raw, dict):
        if "target" not in raw:
            raise ConvertError(f"{where}: a long-syntax volume needs `target`; fix the file")
        source = scalar_text(raw.get("source", ""))
        return scalar_text(raw.get("type", "volume")), source, scalar_text(raw["target"])
    parts = scalar_text(raw).split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    source, target = parts[0], parts[1]
    is_path = source.startswith(("/", ".", "~")) or "/" in source
    return ("bind" if is_path else "volume"), source, target


def _bind_file(source: str, target: str, ctx: ComposeContext, where: str) -> Entry | None:
    path = ctx.inp.resolve(source)
    content = _file_text(path, source, ctx, where)
    if content is None:
        return None
    return {"path": target, "content": escape_template(content)}


def _file_text(path: str, shown: str, ctx: ComposeContext, where: str) -> str | None:
    if path in ctx.inp.files:
        return ctx.inp.files[path]
    if path in ctx.inp.directories:
        ctx.warn(
            f"{where}: {shown} is a directory and is not carried; build its files into "
            "the image or mount them one by one as files"
        )
    elif path in ctx.inp.unreadable:
        ctx.warn(f"{where}: {shown} cannot be carried: {ctx.inp.unreadable[path]}")
    else:
        ctx.warn(f"{where}: {shown} was not found next to the compose file; it is left out")
    return None


def _reference(kind: str, ref: Entry, ctx: ComposeContext, where: str) -> Entry | None:
    name = scalar_text(ref.get("source", ""))
    definition = ctx.definition(kind, name)
    if definition is None:
        raise ConvertError(f"{where}: no top-level {kind} entry named {name!r}; fix the file")
    content = _definition_content(kind, name, definition, ctx, where)
    if content is None:
        return None
    config: Entry = {"path": _target(kind, name, ref.get("target")), "content": content}
    if ref.get("mode") is not None:
        mode = ref["mode"]
        config["mode"] = f"{mode:04o}" if isinstance(mode, int) else scalar_text(mode)
    return config


def _definition_content(
    kind: str, name: str, definition: Entry, ctx: ComposeContext, where: str
) -> str | None:
    if "file" in definition:
        path = ctx.inp.resolve(ctx.interp.literal(scalar_text(definition["file"]), where))
        text = _file_text(path, scalar_text(definition["file"]), ctx, where)
        return None if text is None else escape_template(text)
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


def _target(kind: str, name: str, target: Any) -> str:
    base = "/run/secrets" if kind == "secrets" else "/"
    if target is None:
        return posixpath.join(base, name)
    return posixpath.join(base, scalar_text(target))
