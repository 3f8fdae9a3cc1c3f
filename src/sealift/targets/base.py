"""The small interface every target driver implements (Docker now, Kubernetes later).

A driver turns a rendered app model into per-component desired specs (plain JSON,
recorded in state.db so a rollback can deploy them again), observes what runs,
applies one plan step at a time, gates on health, and shows logs and status.
It knows the model and the OCI store, never bundles or the market.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sealift.formats import canonical_json
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.progress import Progress

if TYPE_CHECKING:
    from sealift.model.app import AppModel

Action = Literal["create", "recreate", "keep", "remove", "run"]
"""`run`: a job (runs to completion) is run again, its old run removed."""


def spec_hash(spec: dict[str, Any]) -> str:
    """A short, stable hash of a rendered spec (canonical JSON)."""
    return hashlib.sha256(canonical_json(spec, ascii_only=True)).hexdigest()[:16]


@dataclass(frozen=True)
class DesiredComponent:
    """One component rendered for a target: `spec` is JSON and fully describes it."""

    name: str
    spec: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    conditions: dict[str, str] = field(default_factory=dict)
    """Dependencies waited for otherwise than `healthy`: name -> started | completed."""

    @property
    def hash(self) -> str:
        return spec_hash(self.spec)

    @property
    def is_job(self) -> bool:
        return self.spec.get("kind") == "job"

    def condition(self, dependency: str) -> str:
        return self.conditions.get(dependency, "healthy")

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "spec": self.spec, "depends_on": self.depends_on}
        return data | ({"conditions": self.conditions} if self.conditions else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DesiredComponent:
        return cls(
            str(data["name"]),
            dict(data["spec"]),
            list(data.get("depends_on", [])),
            dict(data.get("conditions", {})),
        )


@dataclass(frozen=True)
class ObservedComponent:
    """What exists now for one component: the spec hashes of its containers/pods, and how
    many of them are not running (stopped, exited, restarting)."""

    name: str
    hashes: list[str]
    revision: int
    not_running: int = 0
    failed: int = 0
    """Containers that exited with a code other than 0 (a job's failed run)."""


@dataclass(frozen=True)
class PlanStep:
    component: str
    action: Action
    reason: str = ""


@dataclass(frozen=True)
class ImageToLoad:
    """An image a revision needs, as it sits in the store."""

    component: str
    reference: str  # pinned reference from the model (repo:tag@sha256:...)
    descriptor: Descriptor  # manifest or index in `layout`


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    replica: int
    state: str  # running, exited, restarting, missing, ...
    health: str  # healthy, unhealthy, starting, none
    image: str  # image id / digest running
    restarts: int
    ports: list[str]
    revision: int


class HealthGateError(Exception):
    """A component did not become healthy; carries what the user needs to see."""

    def __init__(self, component: str, reason: str, log_tail: list[str]) -> None:
        self.component = component
        self.reason = reason
        self.log_tail = log_tail
        super().__init__(f"{component}: {reason}")


class Target(Protocol):
    name: str

    def platform(self, requested: Platform | None) -> Platform:
        """The platform images are loaded for: `requested` or the target's own."""

    def render(
        self,
        model: AppModel,
        instance: str,
        platform: Platform,
        settings: dict[str, Any],
        images: dict[str, str],
    ) -> list[DesiredComponent]:
        """Turn a rendered (parameters substituted) model into desired specs; `images` maps
        each component to the digest of its image manifest for `platform` (see images.py):
        specs name images by digest, never by tag."""

    def observe(self, instance: str) -> dict[str, ObservedComponent]:
        """What runs now for `instance`, by component."""

    def ensure_images(
        self, layout: Layout, images: list[ImageToLoad], platform: Platform, progress: Progress
    ) -> None:
        """Load into the target every image it lacks, from the store only."""

    def check(self, desired: list[DesiredComponent]) -> None:
        """Refuse, before anything is created, what the target would run against the model's
        wishes (e.g. run_as_non_root with an image whose user is root); images are loaded."""

    def prepare(self, instance: str, desired: list[DesiredComponent]) -> None:
        """Check that every name `desired` needs is free or `instance`'s own (nothing else
        may be reused), then create what every component shares (network, namespace)."""

    def apply(
        self, instance: str, revision: int, step: PlanStep, desired: DesiredComponent | None
    ) -> None:
        """Carry out one plan step (create, recreate or remove one component)."""

    def wait_ready(self, instance: str, desired: DesiredComponent, deadline: float) -> None:
        """Return when the component passes its health gate; raise HealthGateError."""

    def status(self, instance: str, desired: list[DesiredComponent]) -> list[ComponentStatus]:
        """Every container/pod of `instance`, with its health checked now."""

    def logs(self, instance: str, component: str, tail: int, follow: bool) -> Iterator[str]: ...

    def remove(self, instance: str, purge: bool) -> list[str]:
        """Remove everything of `instance`; with purge also its volumes. Returns volumes kept
        (or deleted, with purge)."""
