"""Rolling out a plan: Ctrl-C never cuts a step in half."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sealift.deploy.plan import make_plan
from sealift.deploy.rollout import Rollout, interrupts_deferred, roll_out
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


class InterruptedTarget:
    """Gets Ctrl-C in the middle of replacing a component (old one stopped, not removed)."""

    name = "fake"

    def __init__(self) -> None:
        self.events: list[str] = []

    def apply(
        self, instance: str, revision: int, step: PlanStep, desired: DesiredComponent | None
    ) -> None:
        self.events.append(f"stop old {step.component}")
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the signal is delivered here, between two engine calls
        self.events.append(f"remove old {step.component}")
        self.events.append(f"start new {step.component}")

    def wait_ready(self, instance: str, desired: DesiredComponent, deadline: float) -> None:
        self.events.append(f"ready {desired.name}")

    def ensure_images(
        self, layout: Layout, images: list[ImageToLoad], platform: Platform, progress: Progress
    ) -> None:
        pass

    def prepare(self, instance: str, desired: list[DesiredComponent]) -> None:
        pass

    def platform(self, requested: Platform | None) -> Platform:
        return Platform.parse("linux/amd64")

    def render(self, *args: Any) -> list[DesiredComponent]:
        raise AssertionError("not called")

    def observe(self, instance: str) -> dict[str, ObservedComponent]:
        raise AssertionError("not called")

    def check(self, desired: list[DesiredComponent]) -> None:
        pass

    def status(self, instance: str, desired: list[DesiredComponent]) -> list[ComponentStatus]:
        raise AssertionError("not called")

    def logs(self, instance: str, component: str, tail: int, follow: bool) -> Iterator[str]:
        raise AssertionError("not called")

    def remove(self, instance: str, purge: bool) -> list[str]:
        raise AssertionError("not called")


def test_ctrl_c_waits_for_the_step_to_finish(tmp_path: Path) -> None:
    web = DesiredComponent("web", {"image": "sha256:" + "a" * 64, "replicas": 1})
    target = InterruptedTarget()
    plan = make_plan([web], {"web": ObservedComponent("web", ["old"], 1)})
    rollout = Rollout(target, "shop", 2, [web], [], Platform.parse("linux/amd64"), 10.0)
    with pytest.raises(KeyboardInterrupt):
        roll_out(rollout, plan, Layout.create(tmp_path / "store"), NO_PROGRESS)
    assert target.events == ["stop old web", "remove old web", "start new web"]


def test_deferral_restores_the_handler_and_passes_errors() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(ValueError), interrupts_deferred():
        raise ValueError("boom")
    with interrupts_deferred():
        pass  # no signal: nothing raised
    assert signal.getsignal(signal.SIGINT) is before
