"""A rendered app model -> one JSON spec per component for the systemd target. Pure.

The spec holds everything the component's unit is written from (with the facts of its
image: see units.py), so state.db can record it and a rollback can deploy it again.
Components share the host's network: every port a component declares is one it listens
on, on the host, and must be free. The names they reach each other by are not in the spec
(a new component does not change the others): the target writes them to one hosts file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sealift.errors import DeployError
from sealift.oci.descriptor import Platform
from sealift.targets.base import DesiredComponent
from sealift.targets.specs import config_spec, health_spec, security_spec

if TYPE_CHECKING:  # annotations only: `status` (which needs unit names) skips pydantic
    from sealift.model.app import AppModel, Component, Volume

DEFAULT_BIND_ADDRESS = "0.0.0.0"


def render(
    model: AppModel,
    platform: Platform,
    images: Mapping[str, str],
    bind_address: str = DEFAULT_BIND_ADDRESS,
) -> list[DesiredComponent]:
    """`images`: component -> digest of its image manifest for `platform`."""
    shared = set(model.volumes)
    out = []
    for name, comp in model.components.items():
        if name not in images:
            raise DeployError(f"no image digest for component {name}; this is a bug")
        spec = component_spec(comp, platform, images[name], bind_address, shared)
        conditions = {d.component: d.condition for d in comp.depends_on}
        out.append(
            DesiredComponent(
                name,
                spec,
                comp.dependency_names,
                {k: v for k, v in conditions.items() if v != "healthy"},
            )
        )
    return out


def component_spec(
    comp: Component, platform: Platform, image: str, bind_address: str, shared: set[str]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "image": image,
        "platform": str(platform),
        "command": comp.command,
        "entrypoint": comp.entrypoint,
        "env": dict(comp.env),
        "user": comp.user,
        "working_dir": comp.working_dir,
        "listen": sorted({p.port for p in comp.ports}),
        "ports": _exposed(comp, bind_address),
        "volumes": [_mount(v, v.name in shared) for v in comp.volumes],
        "configs": [config_spec(c) for c in comp.configs],
        "cpu_quota": comp.resources.cpu // 10 if comp.resources and comp.resources.cpu else None,
        "memory": comp.resources.memory if comp.resources else None,
        "restart": comp.restart,
        "replicas": comp.replicas,
        "after": comp.dependency_names,
        "health": health_spec(comp.health),
    }
    if comp.is_job:
        spec["kind"] = "job"
    if comp.security is not None and security_spec(comp.security):
        spec["security"] = security_spec(comp.security)
    return spec


def _exposed(comp: Component, bind_address: str) -> list[dict[str, Any]]:
    """Exposed ports: reachable on `host_port` (the component's own port when not given)."""
    return [
        {
            "port": p.port,
            "protocol": p.protocol,
            "host_port": p.published_port or p.port,
            "host_ip": bind_address,
        }
        for p in comp.ports
        if p.expose
    ]


def _mount(volume: Volume, shared: bool) -> dict[str, Any]:
    """A volume is the directory volumes/<name> of the installation (the model keeps a
    private volume's name unique to its component)."""
    mount: dict[str, Any] = {"name": volume.name, "path": volume.path}
    if shared:
        mount["shared"] = True
    if volume.subpath is not None:
        mount["subpath"] = volume.subpath
    if volume.read_only:
        mount["read_only"] = True
    return mount
