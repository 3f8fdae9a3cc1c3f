"""`--debug`: a log of what was done, and the chain of causes behind an error.

Imported only when debugging is asked for, so a plain command does not pay for `logging`
at start-up. Library modules log to `logging.getLogger(__name__)` (all under `sealift.`);
without `--debug` nothing is configured and nothing below WARNING is shown.
"""

from __future__ import annotations

import logging
import sys

from sealift.errors import SealiftError

FORMAT = "debug: %(relativeCreated)7.0fms %(name)s: %(message)s"


def start_log() -> None:
    """Send every `sealift.*` record at DEBUG and above to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger("sealift")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def cause_chain(exc: BaseException) -> list[str]:
    """One line per exception behind `exc` (`__cause__`, else `__context__`), outermost
    first; a foreign `exc` (an OSError the CLI explained itself) is the first line."""
    lines: list[str] = []
    seen = {id(exc)}
    current = _behind(exc) if isinstance(exc, SealiftError) else exc
    seen.discard(id(current))
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        text = " ".join(str(current).split()) or "(no message)"
        if not (isinstance(current, SealiftError) and text in str(exc)):  # not a mere re-wording
            lines.append(f"  caused by {kind.__module__}.{kind.__qualname__}: {text}")
        current = _behind(current)
    return lines


def _behind(exc: BaseException) -> BaseException | None:
    if exc.__cause__ is not None:
        return exc.__cause__
    return None if exc.__suppress_context__ else exc.__context__
