"""How long operations report progress without knowing who shows it.

Operations take a `Progress`; the CLI passes one that draws a bar on a terminal,
everything else passes `NO_PROGRESS`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def begin(self, label: str, total: int | None) -> None:
        """Start a task of `total` bytes (None when unknown)."""

    def advance(self, nbytes: int) -> None:
        """Count `nbytes` more done in the current task."""

    def end(self) -> None:
        """Finish the current task."""

    def note(self, text: str) -> None:
        """Say what is happening, one line."""


class SilentProgress:
    """Shows nothing; subclass it to show only some of it."""

    def begin(self, label: str, total: int | None) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def end(self) -> None:
        pass

    def note(self, text: str) -> None:
        pass


NO_PROGRESS: Progress = SilentProgress()
