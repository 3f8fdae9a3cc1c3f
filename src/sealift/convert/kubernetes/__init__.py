"""Kubernetes manifests -> app model (pure): workloads become components, Services give
their ports, ConfigMaps configs and env, Secrets secret parameters, PVCs volumes."""

from __future__ import annotations

import re
from typing import Any

from sealift.convert.cleanup import drop_clashing_host_ports
from sealift.convert.documents import expect_map, scalar_text, unexpected_shape
from sealift.convert.inputs import ConversionResult, ConvertInput
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.kubernetes.objects import Manifest, Objects, collect_objects
from sealift.convert.kubernetes.services import apply_service
from sealift.convert.kubernetes.workload import convert_workload, pod_template
from sealift.convert.naming import dns_name
from sealift.errors import ConvertError

__all__ = ["convert_kubernetes"]

DEFAULT_VERSION = "0.1.0"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def convert_kubernetes(inp: ConvertInput) -> ConversionResult:
    objects, warnings = collect_objects(inp)
    if not objects.workloads:
        raise ConvertError(
            f"{inp.source_label}: no Deployment, StatefulSet or DaemonSet found; nothing to convert"
        )
    ctx = KubeContext(objects, warnings=warnings)
    components, pods = _components(objects.workloads, ctx)
    for service in objects.services:
        try:
            apply_service(service, pods, components, ctx)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise unexpected_shape(service.where, "spec", exc) from None
    drop_clashing_host_ports(components, ctx.warnings)
    model: dict[str, Any] = {
        "schema": "sealift/v1",
        "name": dns_name(
            inp.name or _label(objects, "app.kubernetes.io/part-of") or inp.directory_name
        ),
        "version": _version(objects),
    }
    if ctx.parameters:
        model["parameters"] = ctx.parameters
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
            components[name] = convert_workload(workload, ctx)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise unexpected_shape(workload.where, "spec", exc) from None
        metadata = expect_map(pod_template(workload).get("metadata"), workload.where)
        labels = expect_map(metadata.get("labels"), workload.where)
        pods[name] = {k: scalar_text(v) for k, v in labels.items()}
    return components, pods


def _label(objects: Objects, key: str) -> str | None:
    for manifest in objects.all:
        if key in manifest.labels:
            return manifest.labels[key]
    return None


def _version(objects: Objects) -> str:
    version = (_label(objects, "app.kubernetes.io/version") or "").lstrip("v")
    return version if _SEMVER.match(version) else DEFAULT_VERSION
