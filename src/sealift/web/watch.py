"""The installations' status, kept fresh by a thread of the server so that the dashboard
renders at once: reading it means probing every component's health check (a process per
probe), which for twenty installations takes seconds.

An installation's status is read again every `interval` seconds, at once after an
operation on it ends, and on the spot when the dashboard finds it missing or older than
`max_age` (a new installation, or a watcher that fell behind).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sealift.deploy import queries
from sealift.deploy.context import Context
from sealift.errors import SealiftError

log = logging.getLogger(__name__)
INTERVAL = 5.0
MAX_AGE = 30.0


class StatusWatch:
    def __init__(self, make_context: Callable[[], Context], interval: float = INTERVAL) -> None:
        self._make_context = make_context
        self._interval = interval
        self._seen: dict[str, tuple[float, queries.InstallationStatus]] = {}
        self._changes: dict[str, int] = {}  # a read begun before a change is not kept
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def statuses(self) -> list[tuple[queries.InstallationStatus, float]]:
        """Every installation's status and its age in seconds, in state.db's order."""
        self._start()
        ctx = self._make_context()
        now = time.monotonic()
        out = []
        for inst in ctx.state.installations():
            with self._lock:
                seen = self._seen.get(inst.name)
            if seen is None or now - seen[0] > MAX_AGE:
                found = self._read(ctx, inst.name)
                if found is None:
                    continue
                seen = (time.monotonic(), found)
            out.append((seen[1], max(0.0, now - seen[0])))
        return out

    def forget(self, instance: str) -> None:
        """`instance` changed: read it anew when it is next shown."""
        with self._lock:
            self._seen.pop(instance, None)
            self._changes[instance] = self._changes.get(instance, 0) + 1

    def _read(self, ctx: Context, instance: str) -> queries.InstallationStatus | None:
        with self._lock:
            change = self._changes.get(instance, 0)
        try:
            found = queries.status(ctx, instance)
        except SealiftError as exc:  # uninstalled meanwhile, or the engine is away
            log.debug("status of %s: %s", instance, exc.message)
            self.forget(instance)
            return None
        with self._lock:
            if self._changes.get(instance, 0) == change:
                self._seen[instance] = (time.monotonic(), found[0])
        return found[0]

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="status", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        ctx = self._make_context()
        while True:
            try:
                names = [i.name for i in ctx.state.installations()]
                for name in names:
                    self._read(ctx, name)
                with self._lock:
                    for gone in set(self._seen) - set(names):
                        del self._seen[gone]
            except Exception:  # never let the watcher die; the dashboard reads on the spot
                log.exception("reading the installations' status failed")
            time.sleep(self._interval)


__all__ = ["StatusWatch"]
