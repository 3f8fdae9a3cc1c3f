"""What the CLI shows: one-line steps, progress bars on a terminal, JSON on request."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sealift.progress import SilentProgress

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def step(text: str) -> None:
    """Say what the command is doing now (stderr, so stdout stays clean for --json)."""
    err.print(f"[bold]==>[/bold] {text}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


class BarProgress:
    """A `sealift.progress.Progress` that draws bytes, rate and time left on a terminal."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._task: TaskID | None = None

    def begin(self, label: str, total: int | None) -> None:
        if self._task is None:
            self._bar.start()
        else:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label[:32], total=total)

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, nbytes)

    def end(self) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None
            self._bar.stop()

    def note(self, text: str) -> None:
        self._bar.console.print(f"    {text}")


class QuietProgress(SilentProgress):
    """Shows notes only: for output that is not a terminal."""

    def note(self, text: str) -> None:
        err.print(f"    {text}")


def progress() -> BarProgress | QuietProgress:
    return BarProgress() if err.is_terminal else QuietProgress()
