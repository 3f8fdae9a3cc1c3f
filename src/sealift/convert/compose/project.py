"""The compose project: the files given, what they `include:`, what services `extends:`.

Each file's relative paths (bind sources, `env_file`, `file:` of configs and secrets,
`extends.file`, `include`) are made absolute against that file's directory, so that a
service keeps pointing at the right files once merged. Bind mounts are written in the long
syntax and remember the directory they may read from (`ROOT_KEY`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from sealift.convert.compose.envfiles import defined, parse_env_text
from sealift.convert.compose.interpolate import Interpolator
from sealift.convert.compose.merge import merge_files, merge_service
from sealift.convert.compose.shapes import normalize_service, string_list
from sealift.convert.documents import expect_list, expect_map, load_documents, scalar_text
from sealift.convert.inputs import ConvertInput, SourceFile
from sealift.errors import ConvertError

ROOT_KEY = "x-sealift-root"
"""On a bind mount or a `file:` definition: the directory whose files it may read."""

Tree = dict[str, Any]
_MAX_DEPTH = 16


@dataclass
class Loader:
    """Reads compose documents from `inp`; with `wanted`, collects the files it lacks."""

    inp: ConvertInput
    interp: Interpolator
    wanted: set[str] | None = None
    _services_of: dict[str, Tree] = field(default_factory=dict, init=False)

    def project(self) -> Tree:
        documents = [
            (source.name, self.document(source, self.inp.project_dir, 0))
            for source in self.inp.sources
        ]
        return merge_files(documents)

    def document(self, source: SourceFile, base: str, depth: int) -> Tree:
        data = _one_mapping(source)
        services = self._services(source.name, data, base)
        data["services"] = {
            name: self._extended(name, services, source.path, ()) for name in services
        }
        for kind in ("configs", "secrets"):
            if kind in data:
                data[kind] = _definitions(expect_map(data[kind], kind), base, self.interp)
        included = self._includes(data.pop("include", None), base, source.name, depth)
        return _with_included(included, data, source.name)

    def text(self, path: str, where: str, optional: bool = False) -> str | None:
        if path in self.inp.files:
            return self.inp.files[path]
        if self.wanted is not None:
            self.wanted.add(path)
            return None
        if optional:
            return None
        reason = self.inp.unreadable.get(path, "it was not found")
        raise ConvertError(f"{where}: cannot read {path}: {reason}; check the path")

    def _services(self, name: str, data: Tree, base: str) -> Tree:
        services = expect_map(data.get("services"), f"{name}: services")
        result = {}
        for service, body in services.items():
            where = f"services.{service}"
            normal = normalize_service(body, where)
            if "provider" in normal:
                raise ConvertError(
                    f"{where}.provider: services run by a provider plugin cannot be "
                    "converted; replace it with a service that has an image"
                )
            result[service] = _with_absolute_paths(normal, base, self.interp, where)
        return result

    def _extended(
        self, service: str, services: Tree, path: str, chain: tuple[tuple[str, str], ...]
    ) -> Tree:
        body: Tree = services[service]
        if "extends" not in body:
            return body
        where = f"services.{service}.extends"
        if (path, service) in chain or len(chain) > _MAX_DEPTH:
            raise ConvertError(f"{where}: the extends chain comes back to {service}; break it")
        spec = _extends_spec(body["extends"], where)
        own = {k: v for k, v in body.items() if k != "extends"}
        other_path = spec.get("file") or path
        others = services if other_path == path else self._file_services(other_path, where)
        if others is None:
            return own
        base_name = scalar_text(spec.get("service", ""))
        if base_name not in others:
            raise ConvertError(f"{where}: no service {base_name!r} in {other_path}; fix the name")
        parent = self._extended(base_name, others, other_path, (*chain, (path, service)))
        return merge_service(parent, own)

    def _file_services(self, path: str, where: str) -> Tree | None:
        if path not in self._services_of:
            text = self.text(path, where)
            if text is None:
                return None
            data = _one_mapping(SourceFile(path, text))
            self._services_of[path] = self._services(path, data, posixpath.dirname(path))
        return self._services_of[path]

    def _includes(self, value: Any, base: str, name: str, depth: int) -> list[Tree]:
        if value is None:
            return []
        if depth >= _MAX_DEPTH:
            raise ConvertError(f"{name}: include goes deeper than {_MAX_DEPTH} files; break it")
        projects = []
        for i, raw in enumerate(expect_list(value, f"{name}: include")):
            where = f"{name}: include[{i}]"
            spec = expect_map(raw, where) if isinstance(raw, dict) else {"path": raw}
            project = self._include(spec, base, where, depth)
            if project is not None:
                projects.append(project)
        return projects

    def _include(self, spec: Tree, base: str, where: str, depth: int) -> Tree | None:
        paths = [self._path(p, base, where) for p in string_list(spec.get("path"), where)]
        if not paths:
            raise ConvertError(f"{where}: an include needs `path`; fix the file")
        directory = posixpath.dirname(paths[0])
        if spec.get("project_directory") is not None:
            directory = self._path(spec["project_directory"], base, where)
        self._add_env(spec.get("env_file"), directory, base, where)
        documents = []
        for path in paths:
            text = self.text(path, where)
            if text is None:
                return None
            documents.append((path, self.document(SourceFile(path, text), directory, depth + 1)))
        return merge_files(documents)

    def _add_env(self, value: Any, directory: str, base: str, where: str) -> None:
        """An include's env file adds variables the project has not set (Compose's order)."""
        if value is None:
            paths, optional = [posixpath.join(directory, ".env")], True
        else:
            paths, optional = [self._path(p, base, where) for p in string_list(value, where)], False
        env = dict(self.interp.env)
        for path in paths:
            text = self.text(path, where, optional)
            if text is not None:
                found = defined(parse_env_text(text, env, path))
                env = {**found, **env}
        self.interp.env = env

    def _path(self, value: Any, base: str, where: str) -> str:
        return _absolute(self.interp.literal(scalar_text(value), where), base)


def _absolute(path: str, base: str) -> str:
    if path.startswith("~"):
        return path
    return posixpath.normpath(posixpath.join(base, path))


def inside(path: str, root: str) -> bool:
    """`path` is `root` or below it (both absolute and normalized)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def _one_mapping(source: SourceFile) -> Tree:
    loaded = load_documents(source)
    if len(loaded) != 1 or not isinstance(loaded[0], dict):
        raise ConvertError(f"{source.name}: a compose file is one YAML mapping; fix the file")
    return {str(k): v for k, v in loaded[0].items()}


def _extends_spec(value: Any, where: str) -> Tree:
    if isinstance(value, str):
        return {"service": value}
    return expect_map(value, where)


def _with_included(included: list[Tree], data: Tree, name: str) -> Tree:
    if not included:
        return data
    merged = merge_files([(f"{name}: include", project) for project in included])
    merged.pop("name", None)  # an included project's name does not name the app
    for kind in ("services", "volumes", "configs", "secrets", "networks"):
        clash = sorted(set(merged.get(kind) or {}) & set(expect_map(data.get(kind), kind)))
        if clash:
            raise ConvertError(
                f"{name}: {kind} {', '.join(clash)} is defined both here and in an included "
                "file; rename or remove one"
            )
    return merge_files([("include", merged), (name, data)])


def _with_absolute_paths(service: Tree, base: str, interp: Interpolator, where: str) -> Tree:
    result = dict(service)
    if "volumes" in result:
        result["volumes"] = [
            _long_mount(raw, base, interp, f"{where}.volumes[{i}]")
            for i, raw in enumerate(result["volumes"])
        ]
    if "env_file" in result:
        result["env_file"] = _env_files(result["env_file"], base, interp, f"{where}.env_file")
    extends = result.get("extends")
    if isinstance(extends, dict) and extends.get("file") is not None:
        file = interp.literal(scalar_text(extends["file"]), f"{where}.extends")
        result["extends"] = {**extends, "file": _absolute(file, base)}
    return result


def _long_mount(raw: Any, base: str, interp: Interpolator, where: str) -> Tree:
    if isinstance(raw, dict):
        mount = dict(interp.resolve_tree(raw, where))
        if "target" not in mount:
            raise ConvertError(f"{where}: a long-syntax volume needs `target`; fix the file")
        mount.setdefault("type", "volume")
    else:
        mount = _short_mount(interp.literal(scalar_text(raw), where))
    if mount["type"] == "bind" and mount.get("source"):
        mount["source"] = _absolute(scalar_text(mount["source"]), base)
        mount[ROOT_KEY] = base
    return mount


def _short_mount(text: str) -> Tree:
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    source, target, options = parts[0], parts[1], set(",".join(parts[2:]).split(","))
    is_path = source.startswith(("/", ".", "~")) or "/" in source
    mount: Tree = {"type": "bind" if is_path else "volume", "source": source, "target": target}
    if "ro" in options:
        mount["read_only"] = True
    if "nocopy" in options:
        mount["volume"] = {"nocopy": True}
    return mount


def _env_files(value: Any, base: str, interp: Interpolator, where: str) -> list[Tree]:
    entries = [value] if isinstance(value, (str, dict)) else expect_list(value, where)
    result = []
    for entry in entries:
        spec = dict(expect_map(entry, where)) if isinstance(entry, dict) else {"path": entry}
        shown = interp.literal(scalar_text(spec.get("path", "")), where)
        result.append({**spec, "path": _absolute(shown, base), "shown": shown})
    return result


def _definitions(entries: Tree, base: str, interp: Interpolator) -> Tree:
    result: Tree = {}
    for name, definition in entries.items():
        if isinstance(definition, dict) and definition.get("file") is not None:
            file = interp.literal(scalar_text(definition["file"]), name)
            definition = {**definition, "file": _absolute(file, base), ROOT_KEY: base}
        result[name] = definition
    return result
