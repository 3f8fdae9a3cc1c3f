"""The plan: per component create, recreate (with the reason), keep or remove.

Desired specs (rendered for the target) against what runs now (spec hashes observed on the
target). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sealift.targets.base import DesiredComponent, ObservedComponent, PlanStep


@dataclass(frozen=True)
class Plan:
    steps: list[PlanStep]
    levels: list[list[str]]  # components to start, in dependency order

    def changes(self) -> list[PlanStep]:
        return [s for s in self.steps if s.action != "keep"]

    @property
    def is_empty(self) -> bool:
        return not self.changes()

    def action(self, component: str) -> str:
        return next(s.action for s in self.steps if s.component == component)

    def to_json(self) -> list[dict[str, str]]:
        return [
            {"component": s.component, "action": s.action, "reason": s.reason} for s in self.steps
        ]


def make_plan(
    desired: list[DesiredComponent],
    observed: dict[str, ObservedComponent],
    previous: dict[str, DesiredComponent] | None = None,
) -> Plan:
    """Compare desired with observed; `previous` (the recorded specs) explains recreates."""
    previous = previous or {}
    steps = [_step(d, observed.get(d.name), previous.get(d.name)) for d in desired]
    wanted = {d.name for d in desired}
    steps += [
        PlanStep(name, "remove", "not in the new version")
        for name in sorted(observed)
        if name not in wanted
    ]
    return Plan(steps, dependency_levels(desired))


def _step(
    desired: DesiredComponent, observed: ObservedComponent | None, previous: DesiredComponent | None
) -> PlanStep:
    if desired.is_job:
        return _job_step(desired, observed, previous)
    if observed is None or not observed.hashes:
        return PlanStep(
            desired.name, "create", "new component" if previous is None else "not running"
        )
    if set(observed.hashes) == {desired.hash} and len(observed.hashes) == _replicas(desired):
        if observed.not_running:  # e.g. stopped by hand, or by an operation that died
            return PlanStep(desired.name, "recreate", "not running")
        return PlanStep(desired.name, "keep")
    return PlanStep(desired.name, "recreate", _reason(desired, observed, previous))


def _job_step(
    desired: DesiredComponent, observed: ObservedComponent | None, previous: DesiredComponent | None
) -> PlanStep:
    """A job runs again only when its spec changed (or its last run did not succeed)."""
    if observed is None or not observed.hashes:
        if previous is not None and previous.hash == desired.hash:
            return PlanStep(desired.name, "keep", "spec unchanged")  # its container was pruned
        return PlanStep(desired.name, "run", "new job" if previous is None else "not run yet")
    if set(observed.hashes) != {desired.hash}:
        return PlanStep(desired.name, "run", _reason(desired, observed, previous))
    if observed.failed:
        return PlanStep(desired.name, "run", "its last run failed")
    if observed.not_running < len(observed.hashes):
        return PlanStep(desired.name, "run", "its last run was interrupted")
    return PlanStep(desired.name, "keep", "spec unchanged")


def _replicas(desired: DesiredComponent) -> int:
    return int(desired.spec.get("replicas", 1))


def _reason(
    desired: DesiredComponent, observed: ObservedComponent, previous: DesiredComponent | None
) -> str:
    if previous is not None and previous.hash in observed.hashes:
        changed = changed_fields(previous.spec, desired.spec)
        if changed:
            return ", ".join(changed) + " changed"
    if desired.hash in observed.hashes:
        return "replicas out of step"
    return "running spec differs (changed outside sealift or by a failed operation)"


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the top-level spec fields that differ, in a stable order."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def dependency_levels(desired: list[DesiredComponent]) -> list[list[str]]:
    """Components grouped so each group depends only on earlier groups."""
    pending = {d.name: set(d.depends_on) & {x.name for x in desired} for d in desired}
    levels: list[list[str]] = []
    done: set[str] = set()
    while pending:
        ready = sorted(n for n, deps in pending.items() if deps <= done)
        if not ready:  # a cycle; the model validator prevents it, start the rest anyway
            ready = sorted(pending)
        levels.append(ready)
        done.update(ready)
        for name in ready:
            del pending[name]
    return levels


__all__ = ["Plan"]
