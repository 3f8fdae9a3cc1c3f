"""install / upgrade / rollback / uninstall as library functions (the CLI only parses and
prints; a web console can call these the same way).

Every operation takes the installation's lock, records a `pending` revision, rolls out a
plan, and records the outcome. A failed or interrupted upgrade/rollback restores the
previous revision's recorded state and is recorded as failed.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

from sealift.deploy.lock import installation_lock, recover_crashed
from sealift.deploy.plan import Plan
from sealift.deploy.rollout import Rollout, plan_for, roll_out
from sealift.deploy.state import Installation, Revision, StateDB
from sealift.errors import AlreadyExistsError, DeployError, NotFoundError, SealiftError
from sealift.market.catalog import AppVersion, Market
from sealift.market.format import split_ref
from sealift.model import params
from sealift.oci.descriptor import Platform
from sealift.progress import NO_PROGRESS, Progress
from sealift.targets.base import DesiredComponent, HealthGateError, ImageToLoad, Target
from sealift.targets.images import image_digests

INSTANCE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$")
DEFAULT_TIMEOUT = 300.0


@dataclass
class Context:
    """What every operation is given."""

    home: Path
    target: Target
    progress: Progress = NO_PROGRESS
    timeout: float = DEFAULT_TIMEOUT

    @property
    def state(self) -> StateDB:
        return StateDB(self.home / "state.db")

    @property
    def market(self) -> Market:
        return Market(self.home / "store")


@dataclass(frozen=True)
class Outcome:
    installation: str
    revision: int
    ref: str
    plan: Plan
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)


def generate_secret(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


# -- install ---------------------------------------------------------------------------


def install(
    ctx: Context,
    ref: str,
    *,
    name: str | None = None,
    given: dict[str, str] | None = None,
    platform: str | None = None,
    bind_address: str | None = None,
) -> Outcome:
    app = ctx.market.find(ref)
    instance = name or app.name
    _check_instance_name(instance)
    state = ctx.state
    with installation_lock(ctx.home, instance, "install"):
        recover_crashed(state, instance)
        _check_not_installed(state, instance)
        settings = {"platform": platform or "", "bind_address": bind_address or ""}
        state.delete_installation(instance)
        inst = state.add_installation(instance, app.name, ctx.target.name, settings)
        return _deploy_version(ctx, inst, app, given or {}, {}, "install", None)


def _check_instance_name(instance: str) -> None:
    if not INSTANCE_NAME.match(instance):
        raise DeployError(
            f"{instance!r} is not a valid installation name: use lowercase "
            "letters, digits and '-' (at most 42 characters)"
        )


def _check_not_installed(state: StateDB, instance: str) -> None:
    if state.find_installation(instance) is None:
        return
    if state.current(instance) is not None:
        raise AlreadyExistsError(
            f"{instance} is already installed; use `sealift upgrade "
            f"{instance} VERSION`, or --name for a second installation"
        )


# -- upgrade ---------------------------------------------------------------------------


def upgrade(
    ctx: Context,
    instance: str,
    version: str,
    *,
    given: dict[str, str] | None = None,
    dry_run: bool = False,
) -> Outcome:
    state = ctx.state
    inst = state.installation(instance)
    app = ctx.market.get(inst.app, _version_of(version, inst.app))
    if dry_run:
        return _dry_run(ctx, inst, app, given or {})
    with installation_lock(ctx.home, instance, "upgrade"):
        recover_crashed(state, instance)
        current = _current(state, instance)
        return _deploy_version(ctx, inst, app, given or {}, current.parameters, "upgrade", current)


def _version_of(text: str, app: str) -> str:
    if ":" not in text:
        return text
    name, version = split_ref(text)
    if name != app:
        raise DeployError(
            f"this installation runs {app}, not {name}; install {text} under another --name"
        )
    return version


def _current(state: StateDB, instance: str) -> Revision:
    current = state.current(instance)
    if current is None:
        raise DeployError(
            f"{instance} has no deployed revision; `sealift history {instance}` "
            "shows what happened; uninstall and install again"
        )
    return current


def _dry_run(ctx: Context, inst: Installation, app: AppVersion, given: dict[str, str]) -> Outcome:
    current = _current(ctx.state, inst.name)
    values = params.resolve_values(app.model, given, current.parameters, generate_secret)
    platform = _platform(ctx, inst)
    desired = _render(ctx, inst, app, values, platform)
    plan = plan_for(ctx.target, inst.name, desired, _desired_of(current))
    return Outcome(inst.name, current.number, app.ref, plan, dry_run=True)


# -- rollback --------------------------------------------------------------------------


def rollback(ctx: Context, instance: str, revision: int | None = None) -> Outcome:
    state = ctx.state
    inst = state.installation(instance)
    with installation_lock(ctx.home, instance, "rollback"):
        recover_crashed(state, instance)
        current = _current(state, instance)
        target_rev = _rollback_target(state, instance, current, revision)
        app = _app_of(ctx, target_rev)
        desired = _desired_of(target_rev)
        return _deploy(
            ctx,
            inst,
            app,
            target_rev.parameters,
            target_rev.secrets,
            desired,
            "rollback",
            current,
            note=f"rollback to revision {target_rev.number}",
        )


def _rollback_target(
    state: StateDB, instance: str, current: Revision, revision: int | None
) -> Revision:
    if revision is not None:
        return state.revision(instance, revision)
    earlier = [
        r
        for r in state.revisions(instance)
        if r.number < current.number and r.status in ("superseded", "rolled-back")
    ]
    if not earlier:
        raise DeployError(
            f"{instance} has no earlier revision to roll back to; "
            f"`sealift history {instance}` lists its revisions"
        )
    return earlier[-1]


def _app_of(ctx: Context, rev: Revision) -> AppVersion:
    app = ctx.market.get(rev.app, rev.version)
    if app.digest != rev.digest:
        raise DeployError(
            f"{rev.ref} in the market is not the one revision {rev.number} "
            f"deployed ({rev.digest[:19]}); import that version again"
        )
    return app


# -- the shared core -----------------------------------------------------------------------


def _deploy_version(
    ctx: Context,
    inst: Installation,
    app: AppVersion,
    given: dict[str, str],
    previous_values: dict[str, str],
    operation: str,
    current: Revision | None,
) -> Outcome:
    values = params.resolve_values(app.model, given, previous_values, generate_secret)
    desired = _render(ctx, inst, app, values, _platform(ctx, inst))
    return _deploy(
        ctx,
        inst,
        app,
        values,
        sorted(params.secret_names(app.model)),
        desired,
        operation,
        current,
        note=f"{operation} {app.ref}",
    )


def _render(
    ctx: Context, inst: Installation, app: AppVersion, values: dict[str, str], platform: Platform
) -> list[DesiredComponent]:
    rendered = params.render(app.model, values)
    digests = image_digests(ctx.market.layout, _images(app), platform)
    return ctx.target.render(rendered, inst.name, platform, inst.settings, digests)


def _platform(ctx: Context, inst: Installation) -> Platform:
    requested = str(inst.settings.get("platform") or "")
    try:
        return ctx.target.platform(Platform.parse(requested) if requested else None)
    except ValueError as exc:
        raise DeployError(str(exc)) from exc


def _desired_of(rev: Revision) -> list[DesiredComponent]:
    return [DesiredComponent.from_json(d) for d in rev.desired]


def _images(app: AppVersion) -> list[ImageToLoad]:
    return [ImageToLoad(c.name, c.image, c.descriptor) for c in app.components]


def _deploy(
    ctx: Context,
    inst: Installation,
    app: AppVersion,
    values: dict[str, str],
    secret: list[str],
    desired: list[DesiredComponent],
    operation: str,
    current: Revision | None,
    note: str,
) -> Outcome:
    state = ctx.state
    previous = _desired_of(current) if current else None
    plan = plan_for(ctx.target, inst.name, desired, previous)
    rev = state.begin_revision(
        inst.name,
        operation,
        app.name,
        app.version,
        app.digest,
        values,
        secret,
        [d.to_json() for d in desired],
    )
    try:
        rollout = Rollout(
            ctx.target,
            inst.name,
            rev.number,
            desired,
            _images(app),
            _platform(ctx, inst),
            ctx.timeout,
        )
        roll_out(rollout, plan, ctx.market.layout, ctx.progress)
    except (SealiftError, HealthGateError, KeyboardInterrupt) as exc:
        raise _fail(ctx, inst, rev, current, exc) from exc
    state.finish_revision(inst.name, rev.number, "deployed", note)
    return Outcome(inst.name, rev.number, app.ref, plan)


def _fail(
    ctx: Context, inst: Installation, rev: Revision, current: Revision | None, exc: BaseException
) -> DeployError:
    what = _describe_failure(exc)
    restored = _restore(ctx, inst, rev, current)
    message = f"{rev.operation} to {rev.ref} failed: {what}; {restored}"
    ctx.state.finish_revision(inst.name, rev.number, "failed", message)
    if isinstance(exc, HealthGateError):
        lines = "\n".join("    " + line for line in exc.log_tail) or "    (the log is empty)"
        message += f"\nlast log lines of {exc.component}:\n{lines}"
    return DeployError(message)


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, HealthGateError):
        return f"component {exc.component}: {exc.reason}"
    return str(exc)


def _restore(ctx: Context, inst: Installation, failed: Revision, current: Revision | None) -> str:
    """Put back what ran before `failed`; say what was done."""
    if current is None:
        ctx.target.remove(inst.name, purge=False)
        return "removed what the install had started (volumes kept)"
    desired = _desired_of(current)
    try:
        app = _app_of(ctx, current)
        rollout = Rollout(
            ctx.target,
            inst.name,
            current.number,
            desired,
            _images(app),
            _platform(ctx, inst),
            ctx.timeout,
        )
        roll_out(
            rollout, plan_for(ctx.target, inst.name, desired, None), ctx.market.layout, ctx.progress
        )
    except (SealiftError, HealthGateError) as exc:
        return (
            f"restoring revision {current.number} failed too ({_describe_failure(exc)}); "
            f"run `sealift rollback {inst.name} {current.number}`"
        )
    return f"restored revision {current.number} ({current.ref})"


# -- uninstall ---------------------------------------------------------------------------


def uninstall(ctx: Context, instance: str, *, purge: bool = False) -> list[str]:
    """Remove the installation; returns the volumes kept (or deleted with purge)."""
    state = ctx.state
    if state.find_installation(instance) is None:
        raise NotFoundError(f"no installation named {instance!r}; `sealift status` lists them")
    with installation_lock(ctx.home, instance, "uninstall"):
        volumes = ctx.target.remove(instance, purge=purge)
        state.delete_installation(instance)
    return volumes
