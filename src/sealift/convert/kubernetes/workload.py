"""A Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or Pod -> one component (first
container); a Job becomes a component of kind job."""

from __future__ import annotations

from typing import Any

from sealift.convert.cleanup import unique_mounts
from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.kubernetes.env import container_env
from sealift.convert.kubernetes.mounts import container_mounts
from sealift.convert.kubernetes.objects import Manifest
from sealift.convert.kubernetes.probes import PROBES, container_health
from sealift.convert.kubernetes.security import (
    apply_fs_group,
    merged_context,
    security,
    user,
)
from sealift.convert.naming import dns_name
from sealift.convert.units import cpu, quantity_from_kubernetes
from sealift.errors import ConvertError

Component = dict[str, Any]

_SPEC_KEYS = {"replicas", "selector", "template", "serviceName", "volumeClaimTemplates"}
_RESTART = {"Never": "no", "OnFailure": "on-failure", "Always": "always"}
_POD_KEYS = {"containers", "initContainers", "volumes", "securityContext", "restartPolicy"}
_CONTAINER_KEYS = {
    "name",
    "image",
    "command",
    "args",
    "env",
    "envFrom",
    "ports",
    "resources",
    "volumeMounts",
    "workingDir",
    "securityContext",
    "imagePullPolicy",
    "terminationMessagePath",
    "terminationMessagePolicy",
}


def pod_template(workload: Manifest) -> dict[str, Any]:
    if workload.kind == "Pod":
        return workload.body
    template = workload.spec().get("template")
    return expect_map(template, f"{workload.where}.spec.template")


def convert_workload(workload: Manifest, ctx: KubeContext) -> Component:
    where = workload.where
    pod = expect_map(pod_template(workload).get("spec"), f"{where}: pod spec")
    containers = expect_list(pod.get("containers"), f"{where}: containers")
    if not containers:
        raise ConvertError(f"{where}: the pod has no containers; fix the manifest")
    container = expect_map(containers[0], f"{where}: containers[0]")
    component = _container(container, pod, workload, ctx)
    _warn_unmapped(workload, pod, container, ctx)
    return component


def init_jobs(workload: Manifest, ctx: KubeContext) -> dict[str, Component]:
    """Init containers (a migration, a wait, a chown) become jobs the workload waits for."""
    pod = expect_map(pod_template(workload).get("spec"), f"{workload.where}: pod spec")
    where = f"{workload.kind} {workload.name}: initContainers"
    jobs: dict[str, Component] = {}
    for i, raw in enumerate(expect_list(pod.get("initContainers"), where)):
        init = expect_map(raw, f"{where}[{i}]")
        spot = f"{where}[{i}] ({scalar_text(init.get('name', ''))})"
        if scalar_text(init.get("restartPolicy")) == "Always":
            ctx.warn(f"{spot}: a sidecar container; not converted")
            continue
        name = dns_name(f"{workload.name}-{init.get('name') or i}", "init")
        job = _container(init, pod, workload, ctx, job=True)
        ctx.warn(
            f"{spot}: becomes job {name!r}, which {workload.name} waits for; it runs once "
            "per install or upgrade, not before every start of a pod"
        )
        jobs[name] = job
    return jobs


def _container(
    container: dict[str, Any],
    pod: dict[str, Any],
    workload: Manifest,
    ctx: KubeContext,
    job: bool = False,
) -> Component:
    where = f"{workload.name}: container {container.get('name', '')}"
    if not container.get("image"):
        raise ConvertError(f"{workload.where}: the container has no image; fix the manifest")
    component: Component = {"image": scalar_text(container["image"])}
    _put(component, "entrypoint", _words(container.get("command")))
    _put(component, "command", _words(container.get("args")))
    _put(component, "env", container_env(container, ctx, where))
    _put(component, "working_dir", container.get("workingDir"))
    context = merged_context(pod, container)
    _put(component, "user", user(context))
    _put(component, "security", security(context, ctx, where))
    ports, names = _ports(container, where)
    _put(component, "ports", ports)
    health, _ = container_health(container, names, ctx, where)
    _put(component, "health", health)
    if not job:
        _put_replicas(component, workload, ctx)
    _put_storage(component, container, pod, workload, ctx, where)
    _put(component, "resources", _resources(container, where))
    _put(component, "labels", workload.labels)
    apply_fs_group(component, context, ctx, where)
    if job:
        return {"kind": "job", **component, "restart": "on-failure"}
    if workload.kind == "Job":
        return _as_job(component, pod, ctx, where)
    return component


def _as_job(component: Component, pod: dict[str, Any], ctx: KubeContext, where: str) -> Component:
    restart = _RESTART.get(scalar_text(pod.get("restartPolicy")), "no")
    if restart == "always":
        ctx.warn(f"{where}: a job cannot restart always; restart on-failure")
        restart = "on-failure"
    return {"kind": "job", **component, "restart": restart}


def _put(component: Component, key: str, value: Any) -> None:
    if value not in (None, [], {}, ""):
        component[key] = value


def _words(value: Any) -> list[str] | None:
    return None if value is None else [scalar_text(word) for word in value]


def _ports(container: dict[str, Any], where: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    ports: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    seen: set[tuple[int, str]] = set()
    for i, raw in enumerate(expect_list(container.get("ports"), f"{where}.ports")):
        entry = expect_map(raw, f"{where}.ports[{i}]")
        port: dict[str, Any] = {"port": int(entry["containerPort"])}
        protocol = scalar_text(entry.get("protocol", "TCP")).lower()
        if protocol == "udp":
            port["protocol"] = "udp"
        if entry.get("name"):
            port["name"] = names_key = scalar_text(entry["name"])
            names[names_key] = port["port"]
        if (port["port"], protocol) not in seen:
            seen.add((port["port"], protocol))
            ports.append(port)
    return ports, names


def _put_replicas(component: Component, workload: Manifest, ctx: KubeContext) -> None:
    if workload.kind == "DaemonSet":
        ctx.warn(
            f"DaemonSet {workload.name}: runs one pod per node in Kubernetes; converted to "
            "a component with 1 replica"
        )
        component["replicas"] = 1
    elif workload.kind not in ("Pod", "Job"):
        component["replicas"] = int(workload.spec().get("replicas", 1))


def _put_storage(
    component: Component,
    container: dict[str, Any],
    pod: dict[str, Any],
    workload: Manifest,
    ctx: KubeContext,
    where: str,
) -> None:
    templates = _claim_templates(workload)
    volumes, configs = container_mounts(container, pod, templates, ctx, where)
    volumes = unique_mounts(volumes, "name", ctx.warn, where)
    if volumes or workload.kind == "StatefulSet":
        component["stateful"] = True
    _put(component, "volumes", volumes)
    _put(component, "configs", unique_mounts(configs, "path", ctx.warn, where))


def _claim_templates(workload: Manifest) -> dict[str, dict[str, Any]]:
    if workload.kind != "StatefulSet":
        return {}
    templates = expect_list(workload.spec().get("volumeClaimTemplates"), workload.where)
    return {
        scalar_text(expect_map(t, workload.where).get("metadata", {}).get("name")): t
        for t in templates
    }


def _resources(container: dict[str, Any], where: str) -> dict[str, str]:
    resources = expect_map(container.get("resources"), f"{where}.resources")
    limits = expect_map(resources.get("limits"), where)
    requests = expect_map(resources.get("requests"), where)
    result = {}
    amount = limits.get("cpu", requests.get("cpu"))
    if amount is not None:
        result["cpu"] = cpu(amount, f"{where}.resources.cpu")
    memory = limits.get("memory", requests.get("memory"))
    if memory is not None:
        result["memory"] = quantity_from_kubernetes(memory, f"{where}.resources.memory")
    return result


def _warn_unmapped(
    workload: Manifest, pod: dict[str, Any], container: dict[str, Any], ctx: KubeContext
) -> None:
    keys = (
        []
        if workload.kind == "Pod"
        else [f"spec.{k}" for k in workload.spec() if k not in _SPEC_KEYS]
    )
    keys += [f"pod.{k}" for k in pod if k not in _POD_KEYS]
    containers = expect_list(pod.get("containers"), workload.where)
    keys += [
        f"containers[{i}] ({expect_map(c, workload.where).get('name', '')})"
        for i, c in enumerate(containers)
        if i > 0
    ]
    keys += [f"container.{k}" for k in container if k not in _CONTAINER_KEYS and k not in PROBES]
    used = [p for p in PROBES if p in container][:1]
    keys += [f"container.{p}" for p in PROBES if p in container and p not in used]
    if keys:
        ctx.warn(f"{workload.kind} {workload.name}: not mapped: {', '.join(keys)}")
