"""Create, start and remove the containers, network and volumes of an installation.

Configs are written into each container with put_archive before it starts, rather than
bind-mounted from the host: nothing to keep in sync on the host, works against any engine,
and a changed config changes the spec hash so the container is recreated.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import PurePosixPath
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from sealift.targets.base import DesiredComponent
from sealift.targets.docker import labels as L
from sealift.targets.docker.engine import engine_errors
from sealift.targets.docker.render import container_name

STOP_TIMEOUT = 10


def ensure_network(client: docker.DockerClient, instance: str) -> None:
    with engine_errors(f"creating network {instance}"):
        if not client.networks.list(names=[instance]):
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
        _ensure_volume(client, instance, volume["name"])
    started = []
    for replica in range(1, int(desired.spec["replicas"]) + 1):
        started.append(_create_replica(client, instance, revision, desired, image_id, replica))
    return started


def _ensure_volume(client: docker.DockerClient, instance: str, name: str) -> None:
    with engine_errors(f"creating volume {name}"):
        try:
            client.volumes.get(name)
        except docker.errors.NotFound:
            client.volumes.create(name, labels={L.INSTALLATION: instance})


def _create_replica(
    client: docker.DockerClient,
    instance: str,
    revision: int,
    desired: DesiredComponent,
    image_id: str,
    replica: int,
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
            host_config=_host_config(api, spec),
            networking_config=_network_config(api, instance, desired.name),
        )
        container = client.containers.get(created["Id"])
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


def _host_config(api: docker.APIClient, spec: dict[str, Any]) -> dict[str, Any]:
    restart: dict[str, Any] = {"Name": "" if spec["restart"] == "no" else spec["restart"]}
    bindings: dict[int | str, Any] = {
        f"{p['port']}/{p['protocol']}": (p["host_ip"], p["host_port"]) for p in spec["ports"]
    }
    config: dict[str, Any] = api.create_host_config(
        port_bindings=bindings or None,
        binds={v["name"]: {"bind": v["path"], "mode": "rw"} for v in spec["volumes"]} or None,
        restart_policy=restart,
        init=True,
        nano_cpus=spec["nano_cpus"],
        mem_limit=spec["memory"],
    )
    return config


def _put_configs(container: Container, configs: list[dict[str, Any]]) -> None:
    if not configs:
        return
    buffer = io.BytesIO()
    # The engine creates missing parent directories (0755) and leaves existing ones alone.
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for config in configs:
            data = config["content"].encode()
            info = tarfile.TarInfo(str(PurePosixPath(config["path"])).lstrip("/"))
            info.size, info.mode = len(data), int(config["mode"], 8)
            tar.addfile(info, io.BytesIO(data))
    container.put_archive("/", buffer.getvalue())
