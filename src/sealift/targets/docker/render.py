"""A rendered app model -> one JSON spec per component for the Docker engine. Pure.

The spec holds everything needed to (re)create the component's containers, so the
state file can record it and a rollback can deploy it again without the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sealift.errors import DeployError
from sealift.oci.descriptor import Platform
from sealift.targets.base import DesiredComponent
from sealift.targets.specs import config_spec, health_spec, security_spec

if TYPE_CHECKING:  # annotations only: `status` (which needs container names) skips pydantic
    from sealift.model.app import AppModel, Component, Volume

DEFAULT_BIND_ADDRESS = "0.0.0.0"


def render(
    model: AppModel,
    instance: str,
    platform: Platform,
    images: Mapping[str, str],
    bind_address: str = DEFAULT_BIND_ADDRESS,
) -> list[DesiredComponent]:
    """`images`: component -> digest of its image manifest for `platform`."""
    shared = set(model.volumes)
    return [
        DesiredComponent(
            name,
            component_spec(
                instance, name, comp, platform, _image_of(images, name), bind_address, shared
            ),
            comp.dependency_names,
            {d.component: d.condition for d in comp.depends_on if d.condition != "healthy"},
        )
        for name, comp in model.components.items()
    ]


def _image_of(images: Mapping[str, str], component: str) -> str:
    if component not in images:
        raise DeployError(f"no image digest for component {component}; this is a bug")
    return images[component]


def component_spec(
    instance: str,
    name: str,
    comp: Component,
    platform: Platform,
    image: str,
    bind_address: str,
    shared: set[str] | None = None,
) -> dict[str, Any]:
    """The spec names the image by digest: a new tag for the same image changes nothing.
    Keys of wave 2 (kind, security, volume and config options) are there only when set, so
    the spec (and its hash) of a component that does not use them is the first release's."""
    spec = _base_spec(instance, name, comp, platform, image, bind_address, shared or set())
    if comp.is_job:
        spec["kind"] = "job"
    if comp.security is not None and security_spec(comp.security):
        spec["security"] = security_spec(comp.security)
    return spec


def _base_spec(
    instance: str,
    name: str,
    comp: Component,
    platform: Platform,
    image: str,
    bind_address: str,
    shared: set[str],
) -> dict[str, Any]:
    return {
        "image": image,
        "platform": str(platform),
        "command": comp.command,
        "entrypoint": comp.entrypoint,
        "env": dict(comp.env),
        "user": comp.user,
        "working_dir": comp.working_dir,
        "ports": _ports(comp, bind_address),
        "volumes": [_mount(instance, name, v, v.name in shared) for v in comp.volumes],
        "configs": [config_spec(c) for c in comp.configs],
        "nano_cpus": comp.resources.cpu * 1_000_000
        if comp.resources and comp.resources.cpu
        else None,
        "memory": comp.resources.memory if comp.resources else None,
        "restart": comp.restart,
        "replicas": comp.replicas,
        "labels": dict(comp.labels),
        "health": health_spec(comp.health),
    }


def volume_name(instance: str, component: str, volume: str) -> str:
    """A private volume's engine name (the first release's, so its data is found again)."""
    return f"{instance}-{component}-{volume}"


def shared_volume_name(instance: str, volume: str) -> str:
    return f"{instance}-{volume}"


def _mount(instance: str, component: str, volume: Volume, shared: bool) -> dict[str, Any]:
    name = (
        shared_volume_name(instance, volume.name)
        if shared
        else volume_name(instance, component, volume.name)
    )
    mount: dict[str, Any] = {"name": name, "path": volume.path}
    if shared:
        mount["shared"] = True  # the volume's labels say so (labels.volume_labels)
    if volume.subpath is not None:
        mount["subpath"] = volume.subpath
    if volume.read_only:
        mount["read_only"] = True
    return mount


def container_name(instance: str, component: str, replica: int) -> str:
    return f"{instance}-{component}-{replica}"


def _ports(comp: Component, bind_address: str) -> list[dict[str, Any]]:
    """Exposed ports (the model refuses replicas > 1 with any of them)."""
    published = [p for p in comp.ports if p.expose]
    return [
        {
            "port": p.port,
            "protocol": p.protocol,
            "host_port": p.published_port,
            "host_ip": bind_address,
        }
        for p in published
    ]
