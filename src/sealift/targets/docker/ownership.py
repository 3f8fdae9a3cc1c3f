"""Whose is an engine object? Checked by label before sealift reuses or deletes it.

Engine names join installation, component and volume names with '-' (the first release's
names, kept so that existing installations find their data again), and such names can
collide: installation `c`, component `x`, volume `store-data` and installation `c-x`,
component `store`, volume `data` both give `c-x-store-data`. So every container, volume and
network carries labels naming its installation (and component and volume), and before a
rollout changes anything, every name it will use must be free or already this
installation's, for the same component and volume. A volume made by the first release has
no volume label; its installation label alone is checked.
"""

from __future__ import annotations

from typing import Any

import docker
import docker.errors

from sealift.errors import DeployError
from sealift.oci.engine import engine_errors
from sealift.targets.base import DesiredComponent
from sealift.targets.docker import labels as L
from sealift.targets.docker.render import container_name


def check_names(
    client: docker.DockerClient, instance: str, desired: list[DesiredComponent]
) -> None:
    """Raise a one-line DeployError if a name `desired` needs belongs to someone else."""
    _check_distinct(instance, desired)
    find_network(client, instance)
    with engine_errors("checking the names of engine objects"):
        for component in desired:
            for replica in range(1, int(component.spec.get("replicas", 1)) + 1):
                name = container_name(instance, component.name, replica)
                _check_container(client, name, instance, component.name)
            for mount in component.spec["volumes"]:
                wanted = L.volume_labels(instance, component.name, mount)
                check_volume(client, instance, str(mount["name"]), wanted)


def _check_distinct(instance: str, desired: list[DesiredComponent]) -> None:
    """Two volumes of one installation must not map to one engine name (component `a`,
    volume `b-c` and component `a-b`, volume `c`)."""
    seen: dict[str, str] = {}
    for component in desired:
        for mount in component.spec["volumes"]:
            identity = L.volume_labels(instance, component.name, mount)[L.VOLUME]
            other = seen.setdefault(str(mount["name"]), identity)
            if other != identity:
                raise DeployError(
                    f"volumes {other} and {identity} of {instance} would both be the engine's "
                    f"volume {mount['name']}: rename one of them in the app model"
                )


def find_network(client: docker.DockerClient, name: str) -> Any | None:
    """The network named exactly `name` (the engine's name filter matches substrings),
    if it is this installation's; raise if it is not."""
    with engine_errors(f"looking for network {name}"):
        found = [n for n in client.networks.list(names=[name]) if n.name == name]
    if not found:
        return None
    owner = (found[0].attrs.get("Labels") or {}).get(L.INSTALLATION)
    if owner != name:
        raise DeployError(
            f"a network named {name} exists and {_whose(owner)}; installation {name} needs "
            f"that name: remove the network (`docker network rm {name}`) or install under "
            "another --name"
        )
    return found[0]


def _check_container(client: docker.DockerClient, name: str, instance: str, component: str) -> None:
    try:
        labels = client.containers.get(name).labels
    except docker.errors.NotFound:
        return
    owner, of = labels.get(L.INSTALLATION), labels.get(L.COMPONENT)
    if owner == instance and of == component:
        return
    theirs = f"{_whose(owner)}" + (f" (component {of})" if owner and of else "")
    raise DeployError(
        f"a container named {name} exists and {theirs}; installation {instance} needs that "
        f"name for component {component}: install under another --name"
    )


def check_volume(
    client: docker.DockerClient, instance: str, name: str, wanted: dict[str, str]
) -> None:
    """The volume `name` is free, or this installation's volume that `wanted` describes."""
    try:
        labels = client.volumes.get(name).attrs.get("Labels") or {}
    except docker.errors.NotFound:
        return
    owner, identity = labels.get(L.INSTALLATION), labels.get(L.VOLUME)
    if owner == instance and identity in (None, wanted[L.VOLUME]):
        return
    theirs = _whose(owner) + (f" (volume {identity})" if owner and identity else "")
    raise DeployError(
        f"a volume named {name} exists and {theirs}; installation {instance} needs that "
        f"name for volume {wanted[L.VOLUME]}: install under another --name"
    )


def _whose(owner: str | None) -> str:
    if owner is None:
        return "was not made by sealift"
    return f"belongs to installation {owner}"


def check_purge(client: docker.DockerClient, instance: str, volumes: list[Any]) -> None:
    """Refuse to delete a volume that a container of another installation uses."""
    with engine_errors("checking who uses the volumes"):
        for volume in volumes:
            for user in client.containers.list(all=True, filters={"volume": volume.name}):
                owner = user.labels.get(L.INSTALLATION)
                if owner != instance:
                    raise DeployError(
                        f"volume {volume.name} of {instance} is used by container {user.name}, "
                        f"which {_whose(owner)}; nothing was deleted: stop using it there "
                        "first, or uninstall without --purge"
                    )
