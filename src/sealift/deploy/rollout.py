"""Carry out a plan on a target: removes first, then creates/recreates level by level in
dependency order, each level waiting for its health gates.

Each step runs with Ctrl-C deferred to its end, so an interrupted operation never leaves a
step half done: e.g. the old container stopped but not yet removed, which the restore that
follows would take for the running previous revision and keep.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from sealift.deploy.plan import Plan, make_plan
from sealift.oci.descriptor import Platform
from sealift.oci.layout import Layout
from sealift.progress import Progress
from sealift.targets.base import DesiredComponent, ImageToLoad, Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rollout:
    """Everything one deployment of desired state needs."""

    target: Target
    instance: str
    revision: int
    desired: list[DesiredComponent]
    images: list[ImageToLoad]
    platform: Platform
    timeout: float


def plan_for(
    target: Target,
    instance: str,
    desired: list[DesiredComponent],
    previous: list[DesiredComponent] | None,
) -> Plan:
    return make_plan(desired, target.observe(instance), {d.name: d for d in previous or []})


def roll_out(rollout: Rollout, plan: Plan, layout: Layout, progress: Progress) -> None:
    """Apply `plan`; raise HealthGateError (or any error) at the first failing component."""
    target, instance = rollout.target, rollout.instance
    log.debug(
        "%s revision %d on %s: %s",
        instance,
        rollout.revision,
        target.name,
        ", ".join(f"{s.component} {s.action}" for s in plan.steps) or "nothing to do",
    )
    with layout.lease():  # a `market remove` meanwhile cannot collect the blobs being loaded
        target.ensure_images(layout, rollout.images, rollout.platform, progress)
    target.check(rollout.desired)
    target.prepare(instance, rollout.desired)
    by_name = {d.name: d for d in rollout.desired}
    for step in plan.steps:
        if step.action == "remove":
            progress.note(f"remove {step.component}")
            with interrupts_deferred():
                target.apply(instance, rollout.revision, step, None)
    gate = _Gate(rollout, time.monotonic() + rollout.timeout, progress, plan)
    for level in plan.levels:
        changed = [s for s in plan.steps if s.component in level and s.action != "keep"]
        for step in changed:
            gate.dependencies_of(by_name[step.component])
            progress.note(
                f"{step.action} {step.component}" + (f" ({step.reason})" if step.reason else "")
            )
            with interrupts_deferred():
                target.apply(instance, rollout.revision, step, by_name[step.component])
            log.debug("%s %s: applied", step.action, step.component)
    for level in plan.levels:
        for name in level:
            gate.wait(name)


class _Gate:
    """Waits, once each, for changed components to be ready: healthy (or settled) for a
    service, exited with 0 for a job. A component starts once the dependencies it waits for
    (condition healthy or completed, not started) are ready."""

    def __init__(self, rollout: Rollout, deadline: float, progress: Progress, plan: Plan) -> None:
        self.rollout, self.deadline, self.progress = rollout, deadline, progress
        self.pending = {s.component for s in plan.steps if s.action not in ("keep", "remove")}
        self.by_name = {d.name: d for d in rollout.desired}

    def dependencies_of(self, desired: DesiredComponent) -> None:
        for dependency in desired.depends_on:
            if desired.condition(dependency) != "started":
                self.wait(dependency)

    def wait(self, name: str) -> None:
        if name not in self.pending:
            return
        self.pending.discard(name)
        desired = self.by_name[name]
        self.rollout.target.wait_ready(self.rollout.instance, desired, self.deadline)
        log.debug("%s is ready", name)
        self.progress.note(f"{name} {'completed' if desired.is_job else 'is ready'}")


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP until the block is done, then deliver the first
    one caught to the handler that was there before (Ctrl-C: KeyboardInterrupt).

    Only the main thread can handle signals; elsewhere (e.g. a web console's worker) the
    block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, remember) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    if caught:
        signal.raise_signal(caught[0])
