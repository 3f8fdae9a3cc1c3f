"""What the CLI shows: one-line steps, progress bars on a terminal, JSON on request.

`out` (stdout) and `err` (stderr) are rich Consoles made on first use: importing rich
takes a good part of a read-only command's start-up, and `--help`, `--json` and the
commands that print nothing never need it.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from sealift.progress import SilentProgress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.table import Table

_consoles: dict[str, Console] = {}


def __getattr__(name: str) -> Console:
    """`ui.out` and `ui.err`."""
    if name not in ("out", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _console(name)


def _console(name: str) -> Console:
    if name not in _consoles:
        from rich.console import Console

        _consoles[name] = Console(stderr=name == "err", highlight=False, soft_wrap=True)
    return _consoles[name]


def step(text: str) -> None:
    """Say what the command is doing now (stderr, so stdout stays clean for --json)."""
    _console("err").print(f"[bold]==>[/bold] {text}")


def table(*columns: str, **options: Any) -> Table:
    """A rich Table (rich is imported only when one is printed, not for --json)."""
    from rich.table import Table

    return Table(*columns, **options)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


class BarProgress:
    """A `sealift.progress.Progress` that draws bytes, rate and time left on a terminal."""

    def __init__(self) -> None:
        self._made: Progress | None = None
        self._task: TaskID | None = None

    @property
    def _bar(self) -> Progress:
        if self._made is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._made = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=_console("err"),
                transient=True,
            )
        return self._made

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
        _console("err").print(f"    {text}")  # the bar's console: printed above the bar


class QuietProgress(SilentProgress):
    """Shows notes only: for output that is not a terminal."""

    def note(self, text: str) -> None:
        _console("err").print(f"    {text}")


class AutoProgress:
    """Bars on a terminal, notes only otherwise; chosen (and rich loaded) at first use, so
    a command that shows no progress (`status`, `history`) does not load rich for it."""

    def __init__(self) -> None:
        self._chosen: BarProgress | QuietProgress | None = None

    def _progress(self) -> BarProgress | QuietProgress:
        if self._chosen is None:
            terminal = _console("err").is_terminal
            self._chosen = BarProgress() if terminal else QuietProgress()
        return self._chosen

    def begin(self, label: str, total: int | None) -> None:
        self._progress().begin(label, total)

    def advance(self, nbytes: int) -> None:
        self._progress().advance(nbytes)

    def end(self) -> None:
        self._progress().end()

    def note(self, text: str) -> None:
        self._progress().note(text)


def progress() -> AutoProgress:
    return AutoProgress()
