"""Rules across fields (docs/app-model.md), checked on the raw data so that they are reported
together with type errors. Every function tolerates data of the wrong shape: pydantic reports
that."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sealift.model.problems import Path, Problem
from sealift.model.template import references
from sealift.model.workload import check_volumes, check_workload
from sealift.model.workload import items_of as _items


def check_rules(data: object, rendered: bool = False) -> list[Problem]:
    """Problems across fields; a `rendered` model's texts are final, so `${` is not checked."""
    components = {
        name: spec for name, spec in _mapping(data, "components").items() if isinstance(spec, dict)
    }
    parameters = set(map(str, _mapping(data, "parameters")))
    problems: list[Problem] = []
    problems += _check_dependencies(components)
    problems += _check_host_ports(components)
    problems += check_volumes(_mapping(data, "volumes"), components)
    for name, spec in components.items():
        where: Path = ("components", name)
        problems += _check_ports(where, spec)
        problems += _check_mounts(where, spec)
        problems += check_workload(where, spec)
        if not rendered:
            problems += _check_references(where, spec, parameters)
    return problems


def _mapping(data: object, key: str) -> dict[Any, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _dependencies(spec: dict[str, Any]) -> list[tuple[int, str]]:
    """(index, name) of every dependency: a name, or an item `{component: name, ...}`."""
    value = spec.get("depends_on")
    if not isinstance(value, list):
        return []
    named = [(i, d.get("component") if isinstance(d, dict) else d) for i, d in enumerate(value)]
    return [(index, dep) for index, dep in named if isinstance(dep, str)]


def _check_dependencies(components: dict[str, dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    for name, spec in components.items():
        for index, dep in _dependencies(spec):
            where: Path = ("components", name, "depends_on", index)
            if dep == name:
                problems.append((where, f"component '{name}' cannot depend on itself"))
            elif dep not in components:
                problems.append((where, f"no component named '{dep}'"))
            elif _condition(spec, index) == "completed" and components[dep].get("kind") != "job":
                problems.append(
                    (
                        (*where, "condition"),
                        f"'{dep}' is not a job (kind: job), so it never completes: "
                        "use condition started or healthy",
                    )
                )
    problems += _check_cycles(components)
    return problems


def _condition(spec: dict[str, Any], index: int) -> object:
    item = spec["depends_on"][index]
    return item.get("condition") if isinstance(item, dict) else None


def _check_cycles(components: dict[str, dict[str, Any]]) -> list[Problem]:
    graph = {
        name: [(i, d) for i, d in _dependencies(spec) if d in components and d != name]
        for name, spec in components.items()
    }
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for cycle in _cycles(graph):
        members = frozenset(cycle)
        if members in reported:
            continue
        reported.add(members)
        first, second = cycle[0], cycle[1]
        index = next(i for i, dep in graph[first] if dep == second)
        problems.append(
            (("components", first, "depends_on", index), "dependency cycle: " + " -> ".join(cycle))
        )
    return problems


def _cycles(graph: dict[str, list[tuple[int, str]]]) -> Iterator[list[str]]:
    """Each cycle found by a depth-first walk, as `[a, b, ..., a]`, starting at its least name."""
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> Iterator[list[str]]:
        if node in stack:
            loop = stack[stack.index(node) :]
            start = loop.index(min(loop))
            yield [*loop[start:], *loop[:start], min(loop)]
            return
        if node in done:
            return
        stack.append(node)
        for _, dep in graph[node]:
            yield from visit(dep, stack)
        stack.pop()
        done.add(node)

    for name in sorted(graph):
        yield from visit(name, [])


def _port_key(port: dict[str, Any]) -> tuple[object, object]:
    return port.get("port"), port.get("protocol", "tcp")


def _check_ports(where: Path, spec: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[object, object], int] = {}
    for index, port in _items(spec, "ports"):
        key = _port_key(port)
        if key in seen:
            problems.append(
                (
                    (*where, "ports", index),
                    f"duplicate port {key[0]}/{key[1]} (also ports[{seen[key]}])",
                )
            )
        seen.setdefault(key, index)
    return problems


def _literal_host_port(port: dict[str, Any]) -> object:
    """The host port an exposed port publishes on, when it is known before rendering."""
    if port.get("expose") is not True:
        return None
    host = port.get("host_port", port.get("port"))
    if isinstance(host, str) and host.strip().isdigit():
        return int(host)
    return host if isinstance(host, int) and not isinstance(host, bool) else None


def _check_host_ports(components: dict[str, dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    owners: dict[tuple[object, object], str] = {}
    for name, spec in components.items():
        for index, port in _items(spec, "ports"):
            host = _literal_host_port(port)
            if host is None:
                continue
            key = (host, port.get("protocol", "tcp"))
            where = f"components.{name}.ports[{index}]"
            if key in owners:
                problems.append(
                    (
                        ("components", name, "ports", index),
                        f"host port {host}/{key[1]} is already used by {owners[key]}",
                    )
                )
            owners.setdefault(key, where)
    return problems


def _check_mounts(where: Path, spec: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    paths: dict[object, str] = {}
    names: dict[tuple[object, object], int] = {}
    for kind in ("volumes", "configs"):
        for index, item in _items(spec, kind):
            path = item.get("path")
            if path in paths:
                problems.append(
                    (
                        (*where, kind, index, "path"),
                        f"path '{path}' is already used by {paths[path]}",
                    )
                )
            paths.setdefault(path, f"{kind}[{index}]")
    for index, volume in _items(spec, "volumes"):
        name = volume.get("name")
        key = (name, volume.get("subpath"))  # one volume, several subpaths: fine
        if key in names:
            problems.append(
                (
                    (*where, "volumes", index, "name"),
                    f"duplicate volume name '{name}' (also volumes[{names[key]}])",
                )
            )
        names.setdefault(key, index)
    return problems


def _templated(spec: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every string of a component where `${name}` is substituted, with its relative path."""
    env = spec.get("env")
    if isinstance(env, dict):
        yield from ((("env", str(k)), v) for k, v in env.items() if isinstance(v, str))
    for key in ("command", "entrypoint"):
        value = spec.get(key)
        if isinstance(value, str):
            yield (key,), value
        elif isinstance(value, list):
            yield from (((key, i), v) for i, v in enumerate(value) if isinstance(v, str))
    for index, port in _items(spec, "ports"):
        if isinstance(port.get("host_port"), str):
            yield ("ports", index, "host_port"), port["host_port"]
    for index, config in _items(spec, "configs"):
        if isinstance(config.get("content"), str):
            yield ("configs", index, "content"), config["content"]


def _check_references(where: Path, spec: dict[str, Any], parameters: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for path, text in _templated(spec):
        try:
            names = references(text)
        except ValueError as exc:
            problems.append(((*where, *path), str(exc)))
            continue
        problems += [
            ((*where, *path), f"no parameter named '{name}' (in ${{{name}}})")
            for name in dict.fromkeys(names)
            if name not in parameters
        ]
    return problems
