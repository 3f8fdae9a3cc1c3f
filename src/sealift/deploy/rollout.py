"""Carry out a plan on a target: removes first, then creates/recreates level by level in
dependency order, each level waiting for its health gates.

Each step runs with Ctrl-C deferred to its end, so an interrupted operation never leaves a
step half done: e.g. the old container stopped but not yet removed, which the restore that
follows would take for the running previous revision and keep.
"""

from __future__ import annotations

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
    target.ensure_images(layout, rollout.images, rollout.platform, progress)
    target.prepare(instance)
    by_name = {d.name: d for d in rollout.desired}
    for step in plan.steps:
        if step.action == "remove":
            progress.note(f"remove {step.component}")
            with interrupts_deferred():
                target.apply(instance, rollout.revision, step, None)
    deadline = time.monotonic() + rollout.timeout
    for level in plan.levels:
        changed = [s for s in plan.steps if s.component in level and s.action != "keep"]
        for step in changed:
            progress.note(
                f"{step.action} {step.component}" + (f" ({step.reason})" if step.reason else "")
            )
            with interrupts_deferred():
                target.apply(instance, rollout.revision, step, by_name[step.component])
        for step in changed:
            target.wait_ready(instance, by_name[step.component], deadline)
            progress.note(f"{step.component} is ready")


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back SIGINT until the block is done, then raise KeyboardInterrupt.

    Only the main thread can handle signals; elsewhere (e.g. a web console's worker) the
    block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if caught:
        raise KeyboardInterrupt
