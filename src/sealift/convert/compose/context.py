"""What every part of a compose conversion shares: the input, the variables, the warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sealift.convert.compose.interpolate import Interpolator
from sealift.convert.inputs import ConvertInput


@dataclass
class ComposeContext:
    inp: ConvertInput
    interp: Interpolator
    project: str
    top_level: dict[str, dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    jobs: set[str] = field(default_factory=set)
    """Services another waits for with `service_completed_successfully`: they become jobs."""

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def definition(self, kind: str, name: str) -> dict[str, Any] | None:
        """The top-level `volumes`/`configs`/`secrets` entry called `name`, if any."""
        entry = self.top_level.get(kind, {}).get(name)
        return (
            entry
            if isinstance(entry, dict)
            else ({} if name in self.top_level.get(kind, {}) else None)
        )
