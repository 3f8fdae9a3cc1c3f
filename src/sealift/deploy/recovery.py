"""Putting back what ran: the restore after a failed operation, and the settling of an
operation whose process died (kill -9, power loss, a full disk under state.db).

A revision left `pending` by a dead process is settled by the next command on that
installation (install, upgrade, rollback, status): if the target runs exactly that
revision, healthy, it is recorded as deployed (the rollout finished, only the record was
lost); otherwise the revision deployed before it is restored, or, for a first install,
what the install had started is removed and the installation forgotten (its volumes and
generated secrets stay for the next install).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sealift.deploy.rollout import Rollout, plan_for, roll_out
from sealift.deploy.state import Installation, Revision, StateDB
from sealift.deploy.values import mask_text
from sealift.errors import DeployError, SealiftError
from sealift.oci.descriptor import Platform
from sealift.space import require_space
from sealift.targets.base import DesiredComponent, HealthGateError, ImageToLoad

if TYPE_CHECKING:
    from sealift.deploy.context import Context
    from sealift.market.catalog import AppVersion

log = logging.getLogger(__name__)
RESERVE = 4 * 1024 * 1024
"""Free bytes state.db's file system must have before a rollout, so that recording its
outcome cannot fail for want of space (SQLite writes a journal beside the file)."""
HEALTHY = ("healthy", "no check")


def desired_of(rev: Revision) -> list[DesiredComponent]:
    return [DesiredComponent.from_json(d) for d in rev.desired]


def images_of(app: AppVersion) -> list[ImageToLoad]:
    return [ImageToLoad(c.name, c.image, c.descriptor) for c in app.components]


def app_of(ctx: Context, rev: Revision) -> AppVersion:
    app = ctx.market.get(rev.app, rev.version)
    if app.digest != rev.digest:
        raise DeployError(
            f"{rev.ref} in the market is not the one revision {rev.number} "
            f"deployed ({rev.digest[:19]}); import that version again"
        )
    return app


def platform_of(ctx: Context, inst: Installation) -> Platform:
    requested = str(inst.settings.get("platform") or "")
    try:
        return ctx.target.platform(Platform.parse(requested) if requested else None)
    except ValueError as exc:
        raise DeployError(str(exc)) from exc


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted" + (f" ({exc})" if str(exc) else "")
    if isinstance(exc, HealthGateError):
        return f"component {exc.component}: {exc.reason}"
    return str(exc)


def check_space(ctx: Context, needed: int = 0) -> None:
    """Refuse, before anything changes, when state.db could not record the outcome."""
    require_space(
        ctx.home,
        RESERVE + needed,
        "recording the operation in state.db",
        "free some space and run the command again (nothing was changed)",
    )


def restore(ctx: Context, inst: Installation, current: Revision | None) -> str:
    """Put back `current` (or remove everything if there was none); say what was done."""
    if current is None:
        ctx.target.remove(inst.name, purge=False)
        return "removed what the install had started (volumes kept)"
    desired = desired_of(current)
    try:
        app = app_of(ctx, current)
        rollout = Rollout(
            ctx.target,
            inst.name,
            current.number,
            desired,
            images_of(app),
            platform_of(ctx, inst),
            ctx.timeout,
        )
        roll_out(
            rollout, plan_for(ctx.target, inst.name, desired, None), ctx.market.layout, ctx.progress
        )
    except (SealiftError, HealthGateError) as exc:
        log.debug("restoring revision %d failed", current.number, exc_info=True)
        return (
            f"restoring revision {current.number} failed too ({describe_failure(exc)}); "
            f"run `sealift rollback {inst.name} {current.number}`"
        )
    return f"restored revision {current.number} ({current.ref})"


def recover(ctx: Context, instance: str) -> str | None:
    """Settle revisions left `pending` by a dead operation (call under the lock); say how."""
    state = ctx.state
    pending = [r for r in state.revisions(instance) if r.status == "pending"]
    if not pending:
        return None
    for stale in pending[:-1]:
        state.finish_revision(instance, stale.number, "failed", _died(stale, "superseded"))
    rev = pending[-1]
    if _runs(ctx, instance, rev):
        state.finish_revision(instance, rev.number, "deployed", _died(rev, "it runs: recorded"))
        return f"revision {rev.number} ({rev.ref}) runs; recorded it as deployed"
    current = state.current(instance)
    done = restore(ctx, state.installation(instance), current)
    state.finish_revision(instance, rev.number, "failed", _died(rev, done))
    if current is None:
        state.delete_installation(instance)
    return f"the {rev.operation} of revision {rev.number} had died; {done}"


def _died(rev: Revision, outcome: str) -> str:
    text = f"the {rev.operation} (pid {rev.pid}) died before finishing; next command: {outcome}"
    return mask_text(text, rev.secret_values())


def _runs(ctx: Context, instance: str, rev: Revision) -> bool:
    """Does the target run exactly `rev`, every replica running and healthy now?"""
    desired = desired_of(rev)
    observed = ctx.target.observe(instance)
    if set(observed) != {d.name for d in desired}:
        return False
    for d in desired:
        seen = observed[d.name]
        if (seen.not_running and not d.is_job) or any(h != d.hash for h in seen.hashes):
            return False
        if len(seen.hashes) != int(d.spec.get("replicas", 1)):
            return False
    jobs = {d.name for d in desired if d.is_job}  # a job that ran has exited
    statuses = ctx.target.status(instance, desired)
    return all(s.health in HEALTHY for s in statuses if s.component not in jobs)


def forget_failed_install(state: StateDB, instance: str) -> None:
    """A first install that failed leaves no installation behind (nothing pending)."""
    if state.current(instance) is not None:
        return
    if any(r.status == "pending" for r in state.revisions(instance)):
        return
    state.delete_installation(instance)
