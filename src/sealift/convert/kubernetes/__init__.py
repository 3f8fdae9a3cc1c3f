"""Kubernetes manifests -> app model (pure): workloads become components, Services give
their ports, ConfigMaps configs and env, Secrets secret parameters, PVCs volumes."""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from sealift.convert.cleanup import (
    drop_clashing_host_ports,
    put_shared_volumes,
    single_replica_on_host_ports,
)
from sealift.convert.documents import expect_map, scalar_text, unexpected_shape
from sealift.convert.inputs import ConversionResult, ConvertInput
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.kubernetes.objects import Manifest, Objects, collect_objects
from sealift.convert.kubernetes.services import apply_service
from sealift.convert.kubernetes.workload import convert_workload, init_jobs, pod_template
from sealift.convert.naming import GENERIC_DIRECTORIES, app_name, dns_name
from sealift.errors import ConvertError
from sealift.formats import is_semver

__all__ = ["convert_kubernetes"]

DEFAULT_VERSION = "0.1.0"


def convert_kubernetes(inp: ConvertInput) -> ConversionResult:
    objects, warnings = collect_objects(inp)
    if not objects.workloads:
        raise ConvertError(
            f"{inp.source_label}: no Deployment, StatefulSet, DaemonSet or Job found; "
            "nothing to convert"
        )
    ctx = KubeContext(objects, warnings=warnings)
    components, pods = _components(objects.workloads, ctx)
    for service in objects.services:
        try:
            apply_service(service, pods, components, ctx)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise unexpected_shape(service.where, "spec", exc) from None
    drop_clashing_host_ports(components, ctx.warnings)
    single_replica_on_host_ports(components, ctx.warnings)
    model: dict[str, Any] = {
        "schema": "sealift/v1",
        "name": dns_name(inp.name or _app_name(inp, objects)),
        "version": _version(objects),
    }
    if ctx.parameters:
        model["parameters"] = ctx.parameters
    put_shared_volumes(model, components)
    model["components"] = components
    return ConversionResult(model, ctx.warnings)


def _components(
    workloads: list[Manifest], ctx: KubeContext
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    components: dict[str, dict[str, Any]] = {}
    pods: dict[str, dict[str, str]] = {}
    for workload in workloads:
        name = dns_name(workload.name, "component")
        if name in components:
            raise ConvertError(
                f"{workload.where}: a second workload named {name!r}; rename one of them"
            )
        try:
            jobs = init_jobs(workload, ctx)
            components[name] = convert_workload(workload, ctx)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise unexpected_shape(workload.where, "spec", exc) from None
        _add_jobs(components, name, jobs, workload)
        metadata = expect_map(pod_template(workload).get("metadata"), workload.where)
        labels = expect_map(metadata.get("labels"), workload.where)
        pods[name] = {k: scalar_text(v) for k, v in labels.items()}
    return components, pods


def _add_jobs(
    components: dict[str, dict[str, Any]],
    name: str,
    jobs: dict[str, dict[str, Any]],
    workload: Manifest,
) -> None:
    """The init jobs of `name`, which then waits for each of them to complete."""
    for job_name, job in jobs.items():
        if job_name in components:
            raise ConvertError(
                f"{workload.where}: init container job {job_name!r} has the name of another "
                "component; rename one of them"
            )
        components[job_name] = job
    waits = [{"component": job_name, "condition": "completed"} for job_name in jobs]
    if waits:
        components[name]["depends_on"] = [*components[name].get("depends_on", []), *waits]


def _app_name(inp: ConvertInput, objects: Objects) -> str:
    """`part-of` label, else a directory that is not generic, else the `name` label."""
    part_of = _common_label(objects, "app.kubernetes.io/part-of")
    directory = inp.directory_name or posixpath.basename(inp.project_dir)
    if part_of or directory.lower() not in GENERIC_DIRECTORIES:
        return part_of or directory
    return _common_label(objects, "app.kubernetes.io/name") or app_name(inp)


def _common_label(objects: Objects, key: str) -> str | None:
    """The value of label `key` the most objects carry (the first one seen on a tie)."""
    values = Counter(m.labels[key] for m in objects.all if m.labels.get(key))
    return values.most_common(1)[0][0] if values else None


def _label(objects: Objects, key: str) -> str | None:
    for manifest in objects.all:
        if key in manifest.labels:
            return manifest.labels[key]
    return None


def _version(objects: Objects) -> str:
    version = (_label(objects, "app.kubernetes.io/version") or "").lstrip("v")
    return version if is_semver(version) else DEFAULT_VERSION
