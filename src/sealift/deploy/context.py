"""What every deploy operation and view is given: where the state and the market live,
the target, how to show progress, and how long components may take.

Kept apart from operations.py so that the views (`history`, `status`) do not import
what only changing operations need (the model, the market's publishing side).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sealift.deploy.state import StateDB
from sealift.progress import NO_PROGRESS, Progress
from sealift.targets.base import Target

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

    @property
    def state(self) -> StateDB:
        return StateDB(self.home / "state.db")

    @property
    def market(self) -> Market:
        from sealift.market.catalog import Market

        return Market(self.home / "store")


__all__ = ["Context"]
