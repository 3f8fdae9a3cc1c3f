"""What every deploy operation and view is given: where the state and the market live,
the target, how to show progress, and how long components may take.

Kept apart from operations.py so that the views (`history`, `status`) do not import
what only changing operations need (the model, the market's publishing side).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealift.deploy.state import StateDB
from sealift.progress import NO_PROGRESS, Progress
from sealift.targets.base import Target
from sealift.targets.factory import deferred_target

if TYPE_CHECKING:
    from sealift.market.catalog import Market

DEFAULT_TIMEOUT = 300.0


@dataclass
class Context:
    """What every operation is given."""

    home: Path
    target: Target
    progress: Progress = NO_PROGRESS
    timeout: float = DEFAULT_TIMEOUT
    target_settings: dict[str, Any] = field(default_factory=dict)
    """How `target` was configured: `on()` configures another driver the same way."""

    def on(self, instance: str) -> Context:
        """This context with the target `instance` was installed on (state.db records it):
        upgrade, rollback, status, logs and uninstall act where install did."""
        inst = self.state.find_installation(instance)
        if inst is None or inst.target == self.target.name:
            return self
        return replace(self, target=deferred_target(inst.target, **self.target_settings))

    @property
    def state(self) -> StateDB:
        return StateDB(self.home / "state.db")

    @property
    def market(self) -> Market:
        from sealift.market.catalog import Market

        return Market(self.home / "store")


def site_context(
    home: Path,
    progress: Progress = NO_PROGRESS,
    timeout: float = DEFAULT_TIMEOUT,
    target: str = "docker",
    bounded: bool = False,
) -> Context:
    """The Context an interface (the CLI, the web console) gives an operation. `bounded`:
    every engine call is bounded by `timeout` too (not for following a log, which may
    wait for a quiet component as long as it likes). SEALIFT_SETTLE: seconds a component
    without a health check must keep running."""
    settings: dict[str, Any] = {}
    settle = os.environ.get("SEALIFT_SETTLE")
    if settle:
        settings["settle"] = float(settle)
    if bounded:
        settings["engine_timeout"] = timeout
    return Context(home, deferred_target(target, **settings), progress, timeout, settings)


__all__ = ["Context", "site_context"]
