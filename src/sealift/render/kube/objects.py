"""The Kubernetes objects of one component, and the app's shared ones (parameters' Secret,
shared volumes)."""

from __future__ import annotations

from typing import Any

from sealift.model.app import Component
from sealift.model.order import start_order
from sealift.render.base import ORIGINAL_IMAGE
from sealift.render.kube.container import (
    CONFIG_VOLUME,
    SECRET_VOLUME,
    config_key,
    container,
    data_volume,
    is_secret_config,
    port_name,
)
from sealift.render.kube.context import PUBLIC, Build
from sealift.render.kube.expr import HelmExprs, Piece

HOOK = "post-install,post-upgrade"
CONFIG_HASH = "sealift.io/config-hash"


def component_objects(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    """Workload, Services and ConfigMap/Secret of the files of one component."""
    objects = [workload(b, name, spec)]
    if not spec.is_job:
        objects += services(b, name, spec)
    return objects + config_objects(b, name, spec) + private_claims(b, name, spec)


def workload(b: Build, name: str, spec: Component) -> dict[str, Any]:
    if spec.is_job:
        return job(b, name, spec)
    kind = "StatefulSet" if b.is_stateful(spec) else "Deployment"
    body: dict[str, Any] = {
        "replicas": b.ex.value(("components", name, "replicas")),
        "selector": {"matchLabels": b.selector(name)},
    }
    if kind == "StatefulSet":
        body["serviceName"] = name
    body["template"] = pod_template(b, name, spec)
    claims = [claim_template(b, name, v) for v in _private(b, spec)]
    if claims:
        body["volumeClaimTemplates"] = claims
    if kind == "Deployment" and any(v.name in b.inp.model.volumes for v in spec.volumes):
        body["strategy"] = {"type": "Recreate"}  # a ReadWriteOnce claim: one pod at a time
    if spec.restart in ("no", "on-failure"):
        b.warn(f"{name} has restart: {spec.restart}; a Kubernetes {kind} always restarts it")
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": b.metadata(name, name), "spec": body}


def job(b: Build, name: str, spec: Component) -> dict[str, Any]:
    template = pod_template(b, name, spec)
    template["spec"]["restartPolicy"] = "OnFailure" if spec.restart == "on-failure" else "Never"
    metadata = b.metadata(name, name)
    if isinstance(b.ex, HelmExprs):
        metadata["annotations"] = {
            "helm.sh/hook": HOOK,
            "helm.sh/hook-weight": str(_level(b, name)),
            "helm.sh/hook-delete-policy": "before-hook-creation",
        }
    backoff = 6 if spec.restart == "on-failure" or spec.depends_on else 0
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {"backoffLimit": backoff, "template": template},
    }


def _level(b: Build, name: str) -> int:
    levels = start_order(b.inp.model)
    return next(index for index, level in enumerate(levels) if name in level)


def pod_template(b: Build, name: str, spec: Component) -> dict[str, Any]:
    original = b.inp.images[name].original
    pod: dict[str, Any] = {"containers": [container(b, name, spec)]}
    group = next((c.gid for c in spec.configs if c.gid is not None), None)
    if group is not None:
        pod["securityContext"] = {"fsGroup": group}
    if any(c.uid is not None or c.gid is not None for c in spec.configs):
        b.warn(
            f"{name}: Kubernetes cannot set a file's owner; its config files belong to root "
            "(group: fsGroup when a gid is given)"
        )
    volumes = pod_volumes(b, name, spec)
    if volumes:
        pod["volumes"] = volumes
    annotations = {ORIGINAL_IMAGE: original}
    files = config_texts(b, spec)
    if files:
        annotations[CONFIG_HASH] = b.ex.digest(files)
    return {"metadata": {"labels": b.labels(name), "annotations": annotations}, "spec": pod}


def config_texts(b: Build, spec: Component) -> list[Piece]:
    """The contents of the component's ConfigMap files, one after the other. A file is
    mounted with subPath, which never sees a change: a changed hash restarts the pods."""
    parts: list[Piece] = []
    for config in spec.configs:
        if not is_secret_config(b, config):
            parts += [*b.parts(config.content), ("\0", "lit")]
    return parts


def pod_volumes(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    """The files (a ConfigMap and a Secret volume) and the claims the pod mounts."""
    return _file_volumes(b, name, spec) + _claim_volumes(b, name, spec)


def _file_volumes(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = []
    for secret in (False, True):
        items = [
            {"key": config_key(i), "path": config_key(i), "mode": int(c.mode, 8)}
            for i, c in enumerate(spec.configs)
            if is_secret_config(b, c) == secret
        ]
        if items and secret:
            source = {"secret": {"secretName": f"{name}-secret", "items": items}}
            volumes.append({"name": SECRET_VOLUME, **source})
        elif items:
            source = {"configMap": {"name": f"{name}-config", "items": items}}
            volumes.append({"name": CONFIG_VOLUME, **source})
    return volumes


def _claim_volumes(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    volumes = []
    for volume in dict.fromkeys(v.name for v in spec.volumes):
        if volume in b.inp.model.volumes:
            claim = f"{b.app}-{volume}"
        elif spec.is_job:
            claim = f"{b.app}-{name}-{volume}"
        else:
            continue  # a volumeClaimTemplate of the StatefulSet
        volumes.append(
            {"name": data_volume(b, volume), "persistentVolumeClaim": {"claimName": claim}}
        )
    return volumes


def _private(b: Build, spec: Component) -> list[str]:
    return list(dict.fromkeys(v.name for v in spec.volumes if v.name not in b.inp.model.volumes))


def _claim_spec(b: Build, size: Any, mode: Any) -> dict[str, Any]:
    return {
        "accessModes": [mode],
        "resources": {"requests": {"storage": size}},
        **b.ex.optional("storageClassName", ("storageClass",)),
    }


def claim_template(b: Build, name: str, volume: str) -> dict[str, Any]:
    size = b.ex.value(("components", name, "volumes", volume, "size"))
    return {"metadata": {"name": volume}, "spec": _claim_spec(b, size, "ReadWriteOnce")}


def private_claims(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    """A job's private volumes (a Job has no claim templates)."""
    if not spec.is_job:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": b.metadata(f"{b.app}-{name}-{volume}", name),
            "spec": _claim_spec(
                b, b.ex.value(("components", name, "volumes", volume, "size")), "ReadWriteOnce"
            ),
        }
        for volume in _private(b, spec)
    ]


def shared_claims(b: Build) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": b.metadata(f"{b.app}-{volume}"),
            "spec": _claim_spec(
                b,
                b.ex.value(("volumes", volume, "size")),
                b.ex.value(("volumes", volume, "accessMode")),
            ),
        }
        for volume in b.inp.model.volumes
    ]


# -- services ------------------------------------------------------------------------------


def services(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    """`<component>` (ClusterIP, every port: the name other components reach it by), and
    `<component>-public` for the exposed ports (type: the exposeType value)."""
    if not spec.ports:
        return []
    internal = [_service_port(p.port, p.protocol, p.name, p.port) for p in spec.ports]
    out = [_service(b, name, name, "ClusterIP", internal)]
    exposed = [
        _service_port(p.port, p.protocol, p.name, _host_port(b, p.host_port, p.port))
        for p in spec.ports
        if p.expose
    ]
    if exposed:
        public = f"{name}{PUBLIC}"
        out.append(_service(b, public, name, b.ex.value(("exposeType",)), exposed))
        b.warn(
            f"the exposed ports of {name} are Service {name}-public (type exposeType, default "
            "NodePort: Kubernetes picks the node port; `kubectl get service` shows it)"
        )
    return out


def _host_port(b: Build, host_port: int | str | None, port: int) -> Any:
    if host_port is None:
        return port
    if isinstance(host_port, int):
        return host_port
    # a secret parameter as a port is no secret: read it as any parameter
    return b.ex.integer([(v, "param" if k == "secret" else k) for v, k in b.parts(host_port)])


def _service_port(port: int, protocol: str, name: str | None, published: Any) -> dict[str, Any]:
    return {
        "name": port_name(port, protocol, name),
        "port": published,
        "targetPort": port,
        "protocol": protocol.upper(),
    }


def _service(
    b: Build, name: str, component: str, kind: Any, ports: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": b.metadata(name, component),
        "spec": {"type": kind, "selector": b.selector(component), "ports": ports},
    }


# -- files and secrets ---------------------------------------------------------------------


def config_objects(b: Build, name: str, spec: Component) -> list[dict[str, Any]]:
    """The component's ConfigMap (`<component>-config`); its secret files are in
    `secret_objects`."""
    data = {
        config_key(i): b.ex.text(b.parts(c.content))
        for i, c in enumerate(spec.configs)
        if not is_secret_config(b, c)
    }
    if not data:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": b.metadata(f"{name}-config", name),
            "data": data,
        }
    ]


def secret_objects(b: Build) -> list[dict[str, Any]]:
    """The parameters' Secret, and every component's Secret of secret files."""
    out = []
    names = sorted(b.secrets)
    if names:
        metadata = b.metadata(b.parameters_secret)
        if isinstance(b.ex, HelmExprs):
            metadata["annotations"] = {"helm.sh/resource-policy": "keep"}
        data = {n: b.ex.text([(n, "secret")]) for n in names}
        out.append(_secret(metadata, data))
    for name, spec in b.inp.model.components.items():
        data = {
            config_key(i): b.ex.text(b.parts(c.content))
            for i, c in enumerate(spec.configs)
            if is_secret_config(b, c)
        }
        if data:
            out.append(_secret(b.metadata(f"{name}-secret", name), data))
    return out


def _secret(metadata: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "stringData": data,
    }
