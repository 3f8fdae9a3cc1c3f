"""The systemd target: a host run by systemd, with no container engine. Each component's
image is flattened into a root directory and run by a generated unit (see components.py);
components share the host's network and find each other by name through /etc/hosts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealift.errors import DeployError, SystemdError
from sealift.oci.descriptor import Platform
from sealift.oci.layout import Layout
from sealift.progress import NO_PROGRESS, Progress
from sealift.targets.base import (
    ComponentStatus,
    DesiredComponent,
    ImageToLoad,
    ObservedComponent,
    PlanStep,
)
from sealift.targets.images import config_digest, manifest_for
from sealift.targets.specs import non_root_refusal
from sealift.targets.systemd import components as units
from sealift.targets.systemd import preflight
from sealift.targets.systemd.health import Gate, probe
from sealift.targets.systemd.launch import launch_of
from sealift.targets.systemd.paths import Places
from sealift.targets.systemd.render import DEFAULT_BIND_ADDRESS, render
from sealift.targets.systemd.roots import StoredImage, check_space, ensure_root, prune
from sealift.targets.systemd.systemctl import Systemd
from sealift.targets.systemd.units import Owner, read_owner

if TYPE_CHECKING:
    from sealift.model.app import AppModel

PROXYD = ("/lib/systemd/systemd-socket-proxyd", "/usr/lib/systemd/systemd-socket-proxyd")


@dataclass
class SystemdSettings:
    settle: float = 3.0
    """Seconds a component without a health check must keep running."""
    engine_timeout: float = 90.0
    """Seconds one systemctl/journalctl/systemd-analyze call may take."""
    base: str = "/var/lib/sealift"
    unit_dir: str = "/etc/systemd/system"


class SystemdTarget:
    name = "systemd"

    def __init__(self, settings: SystemdSettings | None = None) -> None:
        self.settings = settings or SystemdSettings()
        self.systemd = Systemd(self.settings.engine_timeout)
        self._images: dict[str, StoredImage] = {}  # manifest digest -> where it is
        self._progress: Progress = NO_PROGRESS

    def host(self, instance: str) -> units.Host:
        places = Places(Path(self.settings.base), Path(self.settings.unit_dir), instance)
        proxyd = next((p for p in PROXYD if Path(p).exists()), PROXYD[0])
        return units.Host(places, self.systemd, proxyd)

    def platform(self, requested: Platform | None) -> Platform:
        """The host's (or `requested`); refuses a host that cannot run the systemd target at
        all, naming every problem (not root, not run by systemd, systemd older than 247)."""
        preflight.refuse(preflight.host_problems(self.systemd))
        return requested or preflight.host_platform()

    def render(
        self,
        model: AppModel,
        instance: str,
        platform: Platform,
        settings: dict[str, Any],
        images: dict[str, str],
    ) -> list[DesiredComponent]:
        bind_address = str(settings.get("bind_address") or DEFAULT_BIND_ADDRESS)
        return render(model, platform, images, bind_address)

    def ensure_images(
        self, layout: Layout, images: list[ImageToLoad], platform: Platform, progress: Progress
    ) -> None:
        """Nothing is loaded anywhere: remember where each image is; apply flattens it."""
        self._progress = progress
        for image in images:
            manifest = manifest_for(layout, image, platform)
            label = f"component {image.component} ({image.reference.split('@')[0]})"
            self._images[manifest.digest] = StoredImage(layout, manifest, label)

    def observe(self, instance: str) -> dict[str, ObservedComponent]:
        host = self.host(instance)
        found = {}
        for name, owner in units.mains(host).items():
            states = [self.systemd.show(u) for u in owner.unit_names(host.places)]
            found[name] = ObservedComponent(
                name,
                [owner.hash] * len(states),
                owner.revision,
                sum(not _running(s) for s in states),
                sum(s.get("ActiveState") == "failed" for s in states),
            )
        return found

    def check(self, desired: list[DesiredComponent]) -> None:
        problems = []
        for component in desired:
            if (component.spec.get("security") or {}).get("run_as_non_root"):
                problems.append(self._non_root(component))
        preflight.refuse([p for p in problems if p])

    def _non_root(self, component: DesiredComponent) -> str:
        user, source = component.spec["user"] or "", "its user"
        if not user:
            image = self._stored(component)
            config = image.layout.read_json(config_digest(image.layout, image.manifest))
            user = str((config.get("config") or {}).get("User") or "")
            source = "its image's user" if user else "its image (no user set)"
        return non_root_refusal(component.name, user, source)

    def _stored(self, component: DesiredComponent) -> StoredImage:
        image = self._images.get(str(component.spec["image"]))
        if image is None:
            raise DeployError(f"the image of {component.name} was not found; this is a bug")
        return image

    def prepare(self, instance: str, desired: list[DesiredComponent]) -> None:
        host = self.host(instance)
        self._check_names(host, desired)
        own = [p for o in units.installed(host).values() for p in o.ports]
        preflight.refuse(preflight.port_problems(desired, own))
        check_space(host.places, {d.name: self._stored(d) for d in desired})
        units.write_hosts(host.places, [d.name for d in desired])

    def _check_names(self, host: units.Host, desired: list[DesiredComponent]) -> None:
        """A unit name of another installation (`a` + `b-c` vs `a-b` + `c`) is not reused."""
        unit_dir = host.places.unit_dir
        for component in desired:
            name = host.places.unit_name(component.name, int(component.spec["replicas"]))
            path = unit_dir / name
            if path.exists():
                owner = read_owner(path.read_text(errors="replace"))
                if owner is None or owner.instance != host.places.instance:
                    raise SystemdError(
                        f"unit {name} exists and is not {host.places.instance}'s; "
                        "install under another --name"
                    )

    def apply(
        self, instance: str, revision: int, step: PlanStep, desired: DesiredComponent | None
    ) -> None:
        host = self.host(instance)
        if step.action in ("recreate", "remove", "run"):
            units.remove(host, step.component)
        if step.action in ("create", "recreate", "run"):
            if desired is None:
                raise DeployError(f"no desired spec for {step.component}")
            self._create(host, revision, desired)

    def _create(self, host: units.Host, revision: int, desired: DesiredComponent) -> None:
        root, image = ensure_root(host.places, desired.name, self._stored(desired), self._progress)
        launch = launch_of(desired.name, desired.spec, image, root)
        units.create(host, revision, desired, launch)
        prune(host.places, desired.name)

    def wait_ready(self, instance: str, desired: DesiredComponent, deadline: float) -> None:
        host = self.host(instance)
        owner = units.mains(host).get(desired.name)
        names = owner.unit_names(host.places) if owner else []
        Gate(self.systemd, desired.name, desired.spec).wait(names, deadline, self.settings.settle)

    def status(self, instance: str, desired: list[DesiredComponent]) -> list[ComponentStatus]:
        host = self.host(instance)
        specs = {d.name: d.spec for d in desired}
        out = []
        for name, owner in sorted(units.mains(host).items()):
            for replica, unit in enumerate(owner.unit_names(host.places), start=1):
                out.append(self._status_of(owner, replica, unit, specs.get(name)))
        return out

    def _status_of(
        self, owner: Owner, replica: int, unit: str, spec: dict[str, Any] | None
    ) -> ComponentStatus:
        state = self.systemd.show(unit)
        job = spec is not None and spec.get("kind") == "job"
        return ComponentStatus(
            component=owner.component,
            replica=replica,
            state=_job_state(state) if job else _state(state),
            health="job" if job else _health_now(state, spec),
            image=owner.image,
            restarts=int(state.get("NRestarts") or 0),
            ports=_ports(spec),
            revision=owner.revision,
        )

    def logs(self, instance: str, component: str, tail: int, follow: bool) -> Iterator[str]:
        host = self.host(instance)
        found = units.mains(host)
        if component not in found:
            have = ", ".join(sorted(found))
            raise DeployError(
                f"{instance} has no component named {component!r}"
                + (f"; it has {have}" if have else "")
            )
        return self.systemd.journal(found[component].unit_names(host.places), tail, follow)

    def remove(self, instance: str, purge: bool) -> list[str]:
        host = self.host(instance)
        for component in sorted({o.component for o in units.installed(host).values()}):
            units.remove(host, component)
        places = host.places
        volumes = sorted(p.name for p in places.volumes.glob("*") if not p.name.startswith("."))
        if not places.home.is_dir():
            return volumes
        for child in places.home.iterdir():
            if child != places.volumes or purge or not volumes:
                _delete(child)
        if purge or not volumes:
            places.home.rmdir()
        return volumes


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _running(state: dict[str, str]) -> bool:
    return state.get("ActiveState") == "active" and state.get("SubState") == "running"


def _state(state: dict[str, str]) -> str:
    if _running(state):
        return "running"
    if state.get("SubState") == "auto-restart":
        return "restarting"
    return state.get("ActiveState") or "missing"


def _job_state(state: dict[str, str]) -> str:
    active = state.get("ActiveState")
    if active == "active" and state.get("SubState") == "exited":
        return "completed"
    if active == "failed":
        return f"failed (exit {state.get('ExecMainStatus')})"
    return "running" if active in ("active", "activating") else str(active)


def _health_now(state: dict[str, str], spec: dict[str, Any] | None) -> str:
    if not _running(state):
        return "down"
    if spec is None or spec.get("health") is None:
        return "no check"
    why_not = probe(spec, int(state.get("MainPID") or 0))
    return "healthy" if not why_not else f"unhealthy: {why_not}"


def _ports(spec: dict[str, Any] | None) -> list[str]:
    if spec is None:
        return []
    return [
        f"{p['host_ip'] or '0.0.0.0'}:{p['host_port']}->{p['port']}/{p['protocol']}"
        for p in spec["ports"]
    ]
