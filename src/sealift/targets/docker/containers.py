"""Create, start and remove the containers, network and volumes of an installation.

Configs are written into each container with put_archive before it starts, rather than
bind-mounted from the host: nothing to keep in sync on the host, works against any engine,
and a changed config changes the spec hash so the container is recreated.
"""

from __future__ import annotations

from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from sealift.oci.engine import engine_errors
from sealift.targets.base import DesiredComponent
from sealift.targets.docker import labels as L
from sealift.targets.docker import mounts
from sealift.targets.docker.hostconfig import configs_in_volume, host_config
from sealift.targets.docker.ownership import check_volume, find_network
from sealift.targets.docker.render import container_name

STOP_TIMEOUT = 10


def ensure_network(client: docker.DockerClient, instance: str) -> None:
    if find_network(client, instance) is None:
        with engine_errors(f"creating network {instance}"):
            client.networks.create(instance, driver="bridge", labels={L.INSTALLATION: instance})


def containers_of(
    client: docker.DockerClient, instance: str, component: str | None = None
) -> list[Container]:
    filters = L.of_installation(instance)
    if component is not None:
        filters["label"].append(f"{L.COMPONENT}={component}")
    with engine_errors("listing containers"):
        found: list[Container] = client.containers.list(all=True, filters=filters)
    return sorted(found, key=lambda c: c.name or "")


def remove_component(client: docker.DockerClient, instance: str, component: str) -> None:
    for container in containers_of(client, instance, component):
        remove_container(container)


def remove_container(container: Container) -> None:
    with engine_errors(f"removing container {container.name}"):
        try:
            if container.status == "running":
                container.stop(timeout=STOP_TIMEOUT)
            container.remove(force=True)
        except docker.errors.NotFound:
            pass


def create_component(
    client: docker.DockerClient,
    instance: str,
    revision: int,
    desired: DesiredComponent,
    image_id: str,
) -> list[Container]:
    """Create and start every replica of `desired` (volumes first)."""
    for volume in desired.spec["volumes"]:
        _ensure_volume(client, volume["name"], L.volume_labels(instance, desired.name, volume))
    binds = mounts.binds(client, desired.spec, image_id) + _config_binds(
        client, instance, desired, image_id
    )
    started = []
    for replica in range(1, int(desired.spec["replicas"]) + 1):
        started.append(
            _create_replica(client, instance, revision, desired, image_id, replica, binds)
        )
    return started


def _config_binds(
    client: docker.DockerClient, instance: str, desired: DesiredComponent, image_id: str
) -> list[str]:
    """Configs of a read-only root filesystem: written to a volume, bind-mounted read-only."""
    if not configs_in_volume(desired.spec):
        return []
    volume = mounts.config_volume_name(instance, desired.name)
    mounts.ensure_config_volume(client, instance, volume)
    mounts.write_files(client, image_id, volume, desired.spec["configs"])
    return mounts.config_binds(client, volume, desired.spec["configs"])


def _ensure_volume(client: docker.DockerClient, name: str, labels: dict[str, str]) -> None:
    with engine_errors(f"creating volume {name}"):
        check_volume(client, labels[L.INSTALLATION], name, labels)
        try:
            client.volumes.get(name)
        except docker.errors.NotFound:
            client.volumes.create(name, labels=labels)


def _create_replica(
    client: docker.DockerClient,
    instance: str,
    revision: int,
    desired: DesiredComponent,
    image_id: str,
    replica: int,
    binds: list[str],
) -> Container:
    name = container_name(instance, desired.name, replica)
    spec = desired.spec
    api = client.api
    with engine_errors(f"creating container {name}"):
        _remove_stale(client, name, instance)
        created = api.create_container(
            image=image_id,
            name=name,
            command=spec["command"],
            entrypoint=spec["entrypoint"],
            environment=spec["env"],
            user=spec["user"] or "",
            working_dir=spec["working_dir"],
            labels=_labels(instance, revision, desired, replica),
            ports=[(p["port"], p["protocol"]) for p in spec["ports"]],
            host_config=host_config(api, spec, binds),
            networking_config=_network_config(api, instance, desired.name),
        )
        container = client.containers.get(created["Id"])
        if not configs_in_volume(spec):
            _put_configs(container, spec["configs"])
    with engine_errors(f"starting container {name}"):
        try:
            container.start()
        except docker.errors.APIError:
            container.remove(force=True)
            raise
    return container


def _network_config(api: docker.APIClient, network: str, alias: str) -> dict[str, Any]:
    """Join `network`, answering to the component's name there."""
    endpoint = api.create_endpoint_config(aliases=[alias])
    config: dict[str, Any] = api.create_networking_config({network: endpoint})  # type: ignore[arg-type]
    return config


def _remove_stale(client: docker.DockerClient, name: str, instance: str) -> None:
    """A container of that name left by this installation (e.g. a crash) is replaced."""
    try:
        old = client.containers.get(name)
    except docker.errors.NotFound:
        return
    if old.labels.get(L.INSTALLATION) == instance:
        remove_container(old)


def _labels(
    instance: str, revision: int, desired: DesiredComponent, replica: int
) -> dict[str, str]:
    return {
        **desired.spec["labels"],
        L.INSTALLATION: instance,
        L.COMPONENT: desired.name,
        L.REVISION: str(revision),
        L.SPEC_HASH: desired.hash,
        L.REPLICA: str(replica),
    }


def _put_configs(container: Container, configs: list[dict[str, Any]]) -> None:
    if not configs:
        return
    # The engine creates missing parent directories (0755) and leaves existing ones alone.
    container.put_archive("/", mounts.config_archive(configs))
