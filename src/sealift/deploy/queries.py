"""Views: status, history, logs. Secrets are shown as *** in all of them. `status` is
read-only but for one thing: it settles an operation whose process died, as it promises
(see `recovery.py`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sealift.deploy.context import Context
from sealift.deploy.lock import installation_lock, is_locked
from sealift.deploy.signals import terminations_interrupt
from sealift.deploy.state import Revision
from sealift.errors import LockedError
from sealift.targets.base import ComponentStatus, DesiredComponent


@dataclass(frozen=True)
class InstallationStatus:
    name: str
    app: str
    version: str
    revision: int
    status: str  # status of the latest revision, or "operation running" / "interrupted"
    components: list[ComponentStatus]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "components": [asdict(c) for c in self.components]}


def revision_json(rev: Revision) -> dict[str, Any]:
    return {
        "revision": rev.number,
        "operation": rev.operation,
        "app": rev.app,
        "version": rev.version,
        "digest": rev.digest,
        "status": rev.status,
        "started": rev.started,
        "finished": rev.finished,
        "message": rev.message,
        "parameters": rev.masked_parameters(),
    }


def history(ctx: Context, instance: str) -> list[Revision]:
    ctx.state.installation(instance)
    return ctx.state.revisions(instance)


def status(ctx: Context, instance: str | None = None) -> list[InstallationStatus]:
    state = ctx.state
    names = [instance] if instance else [i.name for i in state.installations()]
    for name in names:
        _settle(ctx.on(name), name)
    return [
        _status_of(ctx.on(name), name)
        for name in names
        if instance or state.find_installation(name)
    ]


def _settle(ctx: Context, instance: str) -> None:
    """Recover a dead operation's pending revision (unless one is running now)."""
    revisions = ctx.state.revisions(instance)
    if not revisions or revisions[-1].status != "pending" or is_locked(ctx.home, instance):
        return
    from sealift.deploy.recovery import recover  # rarely needed: not loaded by every status

    with contextlib.suppress(LockedError), installation_lock(ctx.home, instance, "status"):
        recover(ctx, instance)


def _status_of(ctx: Context, instance: str) -> InstallationStatus:
    state = ctx.state
    state.installation(instance)
    revisions = state.revisions(instance)
    current = state.current(instance) or (revisions[-1] if revisions else None)
    latest = revisions[-1] if revisions else None
    desired = [DesiredComponent.from_json(d) for d in current.desired] if current else []
    return InstallationStatus(
        name=instance,
        app=current.app if current else "",
        version=current.version if current else "",
        revision=current.number if current else 0,
        status=_latest_status(ctx, instance, latest),
        components=ctx.target.status(instance, desired),
    )


def _latest_status(ctx: Context, instance: str, latest: Revision | None) -> str:
    if latest is None:
        return "none"
    if latest.status == "pending":
        if is_locked(ctx.home, instance):
            return f"{latest.operation} in progress"
        return f"interrupted ({latest.operation} died; the next command recovers)"
    return latest.status


def logs(
    ctx: Context, instance: str, component: str, *, tail: int = 100, follow: bool = False
) -> Iterator[str]:
    ctx.state.installation(instance)
    lines = ctx.on(instance).target.logs(instance, component, tail, follow)
    return _until_terminated(lines) if follow else lines


def _until_terminated(lines: Iterator[str]) -> Iterator[str]:
    """A followed log ends on SIGTERM or SIGHUP as on Ctrl-C: the reader (a journalctl the
    systemd driver started) is stopped, not left behind when sealift goes."""
    with terminations_interrupt():
        yield from lines


__all__ = ["InstallationStatus", "history", "logs", "revision_json", "status"]
