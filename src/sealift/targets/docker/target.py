"""The Docker target: one host's engine, driven through the Engine API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import docker
from docker.models.containers import Container
from docker.models.volumes import Volume

from sealift.errors import DeployError
from sealift.oci.descriptor import Platform
from sealift.oci.engine import DEFAULT_TIMEOUT, connect, engine_errors
from sealift.oci.layout import Layout
from sealift.progress import Progress
from sealift.targets.base import (
    ComponentStatus,
    DesiredComponent,
    ImageToLoad,
    ObservedComponent,
    PlanStep,
)
from sealift.targets.docker import containers as ctr
from sealift.targets.docker import labels as L
from sealift.targets.docker.health import probe, wait_ready
from sealift.targets.docker.hostconfig import check_non_root
from sealift.targets.docker.images import load_missing
from sealift.targets.docker.logs import read_logs
from sealift.targets.docker.ownership import check_names, check_purge
from sealift.targets.docker.render import DEFAULT_BIND_ADDRESS, render

if TYPE_CHECKING:  # the model's classes (pydantic) are not needed to run: `status` is faster
    from sealift.model.app import AppModel


@dataclass
class DockerSettings:
    settle: float = 3.0
    """Seconds a component without a health check must keep running."""
    engine_timeout: float = DEFAULT_TIMEOUT
    """Seconds one engine call may take (an operation's --timeout): an engine that stops
    answering fails the call, and the operation restores what ran before."""


class DockerTarget:
    name = "docker"

    def __init__(
        self, settings: DockerSettings | None = None, client: docker.DockerClient | None = None
    ) -> None:
        self.settings = settings or DockerSettings()
        self._client = client
        self._image_ids: dict[str, str] = {}

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = connect(timeout=self.settings.engine_timeout)
        return self._client

    def platform(self, requested: Platform | None) -> Platform:
        if requested is not None:
            return requested
        with engine_errors("asking the engine for its platform"):
            info = self.client.version()
        return Platform.parse(f"{info.get('Os', 'linux')}/{info.get('Arch', 'amd64')}")

    def render(
        self,
        model: AppModel,
        instance: str,
        platform: Platform,
        settings: dict[str, Any],
        images: dict[str, str],
    ) -> list[DesiredComponent]:
        bind_address = str(settings.get("bind_address") or DEFAULT_BIND_ADDRESS)
        return render(model, instance, platform, images, bind_address)

    def ensure_images(
        self, layout: Layout, images: list[ImageToLoad], platform: Platform, progress: Progress
    ) -> None:
        self._image_ids.update(load_missing(self.client, layout, images, platform, progress))

    def observe(self, instance: str) -> dict[str, ObservedComponent]:
        found: dict[str, ObservedComponent] = {}
        for container in ctr.containers_of(self.client, instance):
            name = container.labels.get(L.COMPONENT, "")
            old = found.get(name, ObservedComponent(name, [], 0))
            found[name] = ObservedComponent(
                name,
                [*old.hashes, container.labels.get(L.SPEC_HASH, "")],
                max(old.revision, int(container.labels.get(L.REVISION, "0"))),
                old.not_running + (container.status != "running"),
                old.failed + _failed(container),
            )
        return found

    def check(self, desired: list[DesiredComponent]) -> None:
        for component in desired:
            if (component.spec.get("security") or {}).get("run_as_non_root"):
                check_non_root(
                    self.client, component.name, component.spec, self._image_id(component)
                )

    def prepare(self, instance: str, desired: list[DesiredComponent]) -> None:
        check_names(self.client, instance, desired)
        ctr.ensure_network(self.client, instance)

    def apply(
        self, instance: str, revision: int, step: PlanStep, desired: DesiredComponent | None
    ) -> None:
        if step.action in ("recreate", "remove", "run"):
            ctr.remove_component(self.client, instance, step.component)
        if step.action in ("create", "recreate", "run"):
            if desired is None:
                raise DeployError(f"no desired spec for {step.component}")
            ctr.create_component(self.client, instance, revision, desired, self._image_id(desired))

    def _image_id(self, desired: DesiredComponent) -> str:
        image = str(desired.spec["image"])  # the digest of the image manifest
        if image not in self._image_ids:
            raise DeployError(f"the image of {desired.name} was not loaded; this is a bug")
        return self._image_ids[image]

    def wait_ready(self, instance: str, desired: DesiredComponent, deadline: float) -> None:
        found = ctr.containers_of(self.client, instance, desired.name)
        with engine_errors(f"checking {desired.name}"):
            wait_ready(
                self.client,
                found,
                desired.name,
                desired.spec,
                deadline,
                self.settings.settle,
            )

    def status(self, instance: str, desired: list[DesiredComponent]) -> list[ComponentStatus]:
        specs = {d.name: d.spec for d in desired}
        with engine_errors("reading status"):
            return [self._status_of(c, specs) for c in ctr.containers_of(self.client, instance)]

    def _status_of(self, container: Container, specs: dict[str, dict[str, Any]]) -> ComponentStatus:
        attrs = container.attrs
        labels = container.labels
        spec = specs.get(labels.get(L.COMPONENT, ""))
        job = spec is not None and spec.get("kind") == "job"
        return ComponentStatus(
            component=labels.get(L.COMPONENT, ""),
            replica=int(labels.get(L.REPLICA, "1")),
            state=job_state(attrs["State"]) if job else str(attrs["State"].get("Status", "")),
            health="job" if job else self._health_now(container, spec),
            image=str(attrs.get("Image", "")),
            restarts=int(attrs.get("RestartCount", 0)),
            ports=_ports(attrs),
            revision=int(labels.get(L.REVISION, "0")),
        )

    def _health_now(self, container: Container, spec: dict[str, Any] | None) -> str:
        if container.status != "running":
            return "down"
        if spec is None or spec.get("health") is None:
            return "no check"
        why_not = probe(self.client, container, spec["health"])
        return "healthy" if not why_not else f"unhealthy: {why_not}"

    def logs(self, instance: str, component: str, tail: int, follow: bool) -> Iterator[str]:
        found = ctr.containers_of(self.client, instance, component)
        if not found:
            have = sorted(
                {c.labels.get(L.COMPONENT, "?") for c in ctr.containers_of(self.client, instance)}
            )
            raise DeployError(
                f"{instance} has no component named {component!r}"
                + (f"; it has {', '.join(have)}" if have else "")
            )
        return read_logs(found, tail, follow)

    def remove(self, instance: str, purge: bool) -> list[str]:
        if purge:
            with engine_errors("listing volumes"):
                mine = self.client.volumes.list(filters=L.of_installation(instance))
            check_purge(self.client, instance, mine)
        for container in ctr.containers_of(self.client, instance):
            ctr.remove_container(container)
        with engine_errors(f"removing network {instance}"):
            for network in self.client.networks.list(filters=L.of_installation(instance)):
                network.remove()
            volumes = self.client.volumes.list(filters=L.of_installation(instance))
            volumes = _without_configs(volumes)  # config copies: removed, whatever purge
            names = sorted(str(v.name) for v in volumes)
            if purge:
                for volume in volumes:
                    volume.remove(force=True)
        return names


def _failed(container: Container) -> int:
    state = container.attrs.get("State", {})
    return int(container.status == "exited" and state.get("ExitCode") not in (0, None))


def job_state(state: dict[str, Any]) -> str:
    """A job is running, completed, or failed (exit N); never "exited" like a crashed service."""
    if state.get("Running") or state.get("Restarting"):
        return "running"
    if state.get("Status") == "created":
        return "created"
    code = state.get("ExitCode")
    return "completed" if code == 0 else f"failed (exit {code})"


def _without_configs(volumes: list[Volume]) -> list[Volume]:
    kept = []
    for volume in volumes:
        if (volume.attrs.get("Labels") or {}).get(L.ROLE) == "configs":
            volume.remove(force=True)
        else:
            kept.append(volume)
    return kept


def _ports(attrs: dict[str, Any]) -> list[str]:
    bindings = attrs.get("HostConfig", {}).get("PortBindings") or {}
    out = []
    for container_port, hosts in sorted(bindings.items()):
        for host in hosts or []:
            out.append(
                f"{host.get('HostIp') or '0.0.0.0'}:{host.get('HostPort')}->{container_port}"
            )
    return out
