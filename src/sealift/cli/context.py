"""What every command is given: where sealift keeps its store and state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Env:
    home: Path

    @property
    def store(self) -> Path:
        return self.home / "store"

    @property
    def trust_dir(self) -> Path:
        return self.home / "trust"
