"""A rendered app model -> one JSON spec per component for the Docker engine. Pure.

The spec holds everything needed to (re)create the component's containers, so the
state file can record it and a rollback can deploy it again without the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sealift.errors import DeployError
from sealift.model.app import AppModel, Component, Health
from sealift.oci.descriptor import Platform
from sealift.targets.base import DesiredComponent

DEFAULT_BIND_ADDRESS = "0.0.0.0"


def render(
    model: AppModel,
    instance: str,
    platform: Platform,
    images: Mapping[str, str],
    bind_address: str = DEFAULT_BIND_ADDRESS,
) -> list[DesiredComponent]:
    """`images`: component -> digest of its image manifest for `platform`."""
    return [
        DesiredComponent(
            name,
            component_spec(instance, name, comp, platform, _image_of(images, name), bind_address),
            list(comp.depends_on),
        )
        for name, comp in model.components.items()
    ]


def _image_of(images: Mapping[str, str], component: str) -> str:
    if component not in images:
        raise DeployError(f"no image digest for component {component}; this is a bug")
    return images[component]


def component_spec(
    instance: str, name: str, comp: Component, platform: Platform, image: str, bind_address: str
) -> dict[str, Any]:
    """The spec names the image by digest: a new tag for the same image changes nothing."""
    return {
        "image": image,
        "platform": str(platform),
        "command": comp.command,
        "entrypoint": comp.entrypoint,
        "env": dict(comp.env),
        "user": comp.user,
        "working_dir": comp.working_dir,
        "ports": _ports(name, comp, bind_address),
        "volumes": [
            {"name": volume_name(instance, name, v.name), "path": v.path} for v in comp.volumes
        ],
        "configs": [{"path": c.path, "content": c.content, "mode": c.mode} for c in comp.configs],
        "nano_cpus": comp.resources.cpu * 1_000_000
        if comp.resources and comp.resources.cpu
        else None,
        "memory": comp.resources.memory if comp.resources else None,
        "restart": comp.restart,
        "replicas": comp.replicas,
        "labels": dict(comp.labels),
        "health": _health(comp.health),
    }


def volume_name(instance: str, component: str, volume: str) -> str:
    return f"{instance}-{component}-{volume}"


def container_name(instance: str, component: str, replica: int) -> str:
    return f"{instance}-{component}-{replica}"


def _ports(name: str, comp: Component, bind_address: str) -> list[dict[str, Any]]:
    published = [p for p in comp.ports if p.expose]
    if published and comp.replicas > 1:
        raise DeployError(
            f"component {name} publishes a host port and has {comp.replicas} "
            "replicas; one host port can serve only one container"
        )
    return [
        {
            "port": p.port,
            "protocol": p.protocol,
            "host_port": p.published_port,
            "host_ip": bind_address,
        }
        for p in published
    ]


def _health(health: Health | None) -> dict[str, Any] | None:
    if health is None:
        return None
    check: dict[str, Any]
    if health.http is not None:
        check = {"kind": "http", "port": health.http.port, "path": health.http.path}
    elif health.tcp is not None:
        check = {"kind": "tcp", "port": health.tcp.port}
    else:
        assert health.exec is not None
        check = {"kind": "exec", "command": list(health.exec.command)}
    return {
        **check,
        "interval": health.interval,
        "timeout": health.timeout,
        "retries": health.retries,
        "start_period": health.start_period,
    }
