"""SIGTERM and SIGHUP (a service manager stopping sealift, an SSH session dropping) end an
operation the way Ctrl-C does: the step in progress finishes (see `rollout.py`), the
previous revision is restored, one line is printed, and the command exits with 128 + the
signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

TERMINATING = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A terminating signal, raised where the operation stands."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def exit_code(exc: BaseException) -> int:
    return 128 + (exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)


@contextmanager
def terminations_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Interrupted` (main thread only: a web
    console's worker thread runs the block as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in TERMINATING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
