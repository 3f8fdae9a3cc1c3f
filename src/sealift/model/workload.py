"""Rules of wave 2 on the raw data (docs/app-model.md): shared and private volumes, jobs, and
replicas that a target can run. Like checks.py, every function tolerates data of the wrong
shape: pydantic reports that."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sealift.model.problems import Path, Problem

JOB_RESTARTS = ("no", "on-failure", False)  # False: a bare YAML 1.1 `no`


def items_of(data: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) for every mapping item of the list `data[key]`."""
    value = data.get(key)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _exposed(spec: dict[str, Any]) -> list[int]:
    return [index for index, port in items_of(spec, "ports") if port.get("expose") is True]


def check_workload(where: Path, spec: dict[str, Any]) -> list[Problem]:
    """A job runs once to completion; replicas of a service cannot share one host port."""
    replicas = spec.get("replicas", 1)
    if spec.get("kind") == "job":
        return _check_job(where, spec, replicas)
    if isinstance(replicas, int) and replicas > 1 and _exposed(spec):
        return [
            (
                (*where, "replicas"),
                f"{replicas} replicas cannot share the host port of ports[{_exposed(spec)[0]}]: "
                "use replicas: 1, or do not expose the port",
            )
        ]
    return []


def _check_job(where: Path, spec: dict[str, Any], replicas: object) -> list[Problem]:
    problems: list[Problem] = []
    if replicas != 1:
        problems.append(((*where, "replicas"), "a job runs once: replicas must be 1"))
    problems += [
        ((*where, "ports", index, "expose"), "a job cannot expose a port: remove expose")
        for index in _exposed(spec)
    ]
    if "restart" in spec and spec["restart"] not in JOB_RESTARTS:
        problems.append(
            ((*where, "restart"), "a job runs to completion: use restart no or on-failure")
        )
    return problems


def check_volumes(declared: dict[Any, Any], components: dict[str, dict[str, Any]]) -> list[Problem]:
    """Mounts of a declared (app-level) volume are shared; any other name is private to one
    component."""
    problems: list[Problem] = []
    owners: dict[object, str] = {}
    mounted: set[object] = set()
    for name, spec in components.items():
        for index, mount in items_of(spec, "volumes"):
            where: Path = ("components", name, "volumes", index)
            volume = mount.get("name")
            mounted.add(volume)
            if volume in declared:
                problems += _check_shared_mount(where, mount)
            elif owners.setdefault(volume, name) != name:
                problems.append(_private_twice(where, volume, owners[volume]))
            elif f"{name}-{volume}" in declared:
                problems.append(_same_engine_name(where, name, volume))
    problems += [
        (("volumes", str(v)), f"no component mounts volume '{v}': mount it or remove it")
        for v in declared
        if v not in mounted
    ]
    return problems


def _check_shared_mount(where: Path, mount: dict[str, Any]) -> list[Problem]:
    if "size" not in mount:
        return []
    return [
        (
            (*where, "size"),
            f"'{mount.get('name')}' is a shared volume: give its size where the app declares it "
            f"(volumes.{mount.get('name')}.size), not on the mount",
        )
    ]


def _private_twice(where: Path, volume: object, owner: str) -> Problem:
    return (
        (*where, "name"),
        f"volume '{volume}' is private to component '{owner}': to share it, declare it "
        f"under the app's volumes ({volume}: {{}})",
    )


def _same_engine_name(where: Path, component: str, volume: object) -> Problem:
    return (
        (*where, "name"),
        f"private volume '{volume}' of '{component}' and the shared volume "
        f"'{component}-{volume}' would get one name on the target: rename one of them",
    )
