"""Long operations (import, install, upgrade, rollback, uninstall, remove) run as jobs:
a thread of the server each, whose progress any page (a reload, a second browser) reads.

A job outlives the request that started it and the browser that watches it. One job at a
time per installation; the operation's own lock (`deploy/lock.py`) refuses a CLI command
running meanwhile, and this board refuses a second job before it starts.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealift.deploy.lock import is_locked
from sealift.deploy.values import mask_text
from sealift.errors import LockedError, SealiftError
from sealift.formats import utc_timestamp

log = logging.getLogger(__name__)
MAX_LINES = 500
KEEP_FINISHED = 200


@dataclass
class Job:
    """What one operation did so far; every text in it is masked with `secrets`."""

    id: str
    kind: str  # import, install, upgrade, rollback, uninstall, remove
    subject: str  # the installation, app version or file it works on
    instance: str = ""
    state: str = "running"  # running, done, failed
    started: str = field(default_factory=utc_timestamp)
    finished: str = ""
    lines: list[str] = field(default_factory=list)
    label: str = ""
    done: int = 0
    total: int | None = None
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- sealift.progress.Progress ------------------------------------------------------

    def begin(self, label: str, total: int | None) -> None:
        with self._lock:
            self.label, self.done, self.total = self._mask(label), 0, total

    def advance(self, nbytes: int) -> None:
        with self._lock:
            self.done += nbytes

    def end(self) -> None:
        with self._lock:
            self.label, self.done, self.total = "", 0, None

    def note(self, text: str) -> None:
        with self._lock:
            self.lines.append(self._mask(text))
            del self.lines[:-MAX_LINES]

    # -- the outcome --------------------------------------------------------------------

    def hide(self, values: list[str]) -> None:
        """Mask `values` in everything said from now on (and in the error)."""
        with self._lock:
            self.secrets.extend(v for v in values if v)

    def _mask(self, text: str) -> str:
        return mask_text(text, self.secrets) if self.secrets else text

    def finish(self, error: str = "") -> None:
        with self._lock:
            self.error = self._mask(error)
            self.state = "failed" if error else "done"
            self.finished = utc_timestamp()
            self.label, self.total = "", None

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "subject": self.subject,
                "state": self.state,
                "lines": list(self.lines),
                "label": self.label,
                "done": self.done,
                "total": self.total,
                "error": self.error,
            }


Work = Callable[[Job], None]


class JobBoard:
    """Every job of this server, newest last."""

    def __init__(self, home: Path, on_finish: Callable[[Job], None] | None = None) -> None:
        self._home = home
        self._on_finish = on_finish
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, kind: str, subject: str, work: Work, instance: str = "") -> Job:
        """Run `work(job)` in a thread; refused while `instance` has an operation running."""
        with self._lock:
            if instance:
                self._check_free(instance)
            job = Job(f"{int(time.time())}-{next(self._ids)}", kind, subject, instance)
            self._jobs[job.id] = job
            self._forget_old()
        threading.Thread(
            target=self._run, args=(job, work), name=f"job-{job.id}", daemon=True
        ).start()
        return job

    def _check_free(self, instance: str) -> None:
        running = [
            j for j in self._jobs.values() if j.instance == instance and j.state == "running"
        ]
        if running:
            raise LockedError(
                f"another operation is running on {instance}: {running[0].kind} (started "
                f"{running[0].started}); wait for it to finish and try again"
            )
        if is_locked(self._home, instance):
            raise LockedError(
                f"another operation is running on {instance} (a sealift command); wait for "
                "it to finish and try again"
            )

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state != "running"]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def running_on(self, instance: str) -> Job | None:
        with self._lock:
            found = [j for j in self._jobs.values() if j.instance == instance]
        return next((j for j in reversed(found) if j.state == "running"), None)

    def _run(self, job: Job, work: Work) -> None:
        _run(job, work)
        if self._on_finish is not None:
            self._on_finish(job)


def _run(job: Job, work: Work) -> None:
    try:
        work(job)
    except SealiftError as exc:
        job.finish(exc.message)
    except KeyboardInterrupt:
        job.finish("interrupted")
    except Exception as exc:  # a bug: shown in the job, its traceback in the server's log
        log.exception("job %s (%s %s) failed", job.id, job.kind, job.subject)
        job.finish(f"internal error ({type(exc).__name__}); see the console's log")
    else:
        job.finish()


__all__ = ["Job", "JobBoard"]
