"""install / upgrade / rollback / uninstall as library functions (the CLI only parses and
prints; a web console can call these the same way).

Every operation takes the installation's lock, settles what a dead operation left pending
(`recovery.py`), records a `pending` revision, rolls out a plan, and records the outcome.
A failed or interrupted (Ctrl-C, SIGTERM, SIGHUP) upgrade/rollback restores the previous
revision's recorded state and is recorded as failed; a failed first install leaves no
installation behind. Secret values never appear in an error's text.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import string
from dataclasses import dataclass, field

from sealift.deploy.context import Context
from sealift.deploy.lock import installation_lock
from sealift.deploy.plan import Plan
from sealift.deploy.recovery import (
    app_of,
    check_space,
    describe_failure,
    desired_of,
    forget_failed_install,
    images_of,
    platform_of,
    recover,
    restore,
)
from sealift.deploy.rollout import Rollout, plan_for, roll_out
from sealift.deploy.signals import exit_code, terminations_interrupt
from sealift.deploy.state import Installation, Revision, StateDB
from sealift.deploy.values import mask_text, secrets_masked
from sealift.errors import (
    AlreadyExistsError,
    DeployError,
    NotFoundError,
    OperationInterrupted,
    SealiftError,
    StoreError,
    UsageError,
)
from sealift.market.catalog import AppVersion
from sealift.market.format import split_ref
from sealift.model import params
from sealift.targets.base import DesiredComponent, HealthGateError
from sealift.targets.images import image_digests

INSTANCE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$")
log = logging.getLogger(__name__)


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
    check_instance_name(instance)
    settings = {"platform": platform or "", "bind_address": check_bind_address(bind_address)}
    state = ctx.state
    with installation_lock(ctx.home, instance, "install"), terminations_interrupt():
        recover(ctx, instance)
        _check_not_installed(state, instance)
        state.delete_installation(instance)
        inst = state.add_installation(instance, app.name, ctx.target.name, settings)
        try:
            return _deploy_version(ctx, inst, app, given or {}, {}, "install", None)
        except BaseException:
            forget_failed_install(state, instance)
            raise


def check_instance_name(instance: str) -> None:
    if not INSTANCE_NAME.match(instance):
        raise DeployError(
            f"{instance!r} is not a valid installation name: use lowercase "
            "letters, digits and '-' (at most 42 characters)"
        )


def check_bind_address(text: str | None) -> str:
    """An IP address (v4 or v6) in its canonical form, or "" for the default."""
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        hint = "use 127.0.0.1 (or ::1)" if text.lower() == "localhost" else "e.g. 127.0.0.1"
        raise UsageError(
            f"--bind-address {text!r} is not an IP address; give one of this host's "
            f"addresses ({hint} for this host only, 0.0.0.0 for every address)"
        ) from None


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
    ctx = ctx.on(instance)
    state = ctx.state
    inst = state.installation(instance)
    app = ctx.market.get(inst.app, _version_of(version, inst.app))
    if dry_run:
        return _dry_run(ctx, inst, app, given or {})
    with installation_lock(ctx.home, instance, "upgrade"), terminations_interrupt():
        recover(ctx, instance)
        inst = state.installation(instance)
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
    values = _resolve(ctx, inst, app, given, current.parameters)
    with secrets_masked(_secret_values(app, values)):
        desired = _render(ctx, inst, app, values)
        plan = plan_for(ctx.target, inst.name, desired, desired_of(current))
    return Outcome(inst.name, current.number, app.ref, plan, dry_run=True)


# -- rollback --------------------------------------------------------------------------


def rollback(ctx: Context, instance: str, revision: int | None = None) -> Outcome:
    ctx = ctx.on(instance)
    state = ctx.state
    state.installation(instance)
    with installation_lock(ctx.home, instance, "rollback"), terminations_interrupt():
        settled = recover(ctx, instance)
        inst = state.installation(instance)
        current = _current(state, instance)
        if settled and revision is None and state.revisions(instance)[-1].status == "failed":
            # the operation that died was undone: what ran before it runs again
            return Outcome(instance, current.number, current.ref, Plan([], []), notes=[settled])
        target_rev = _rollback_target(state, instance, current, revision)
        with secrets_masked(target_rev.secret_values()):
            return _deploy(
                ctx,
                inst,
                app_of(ctx, target_rev),
                target_rev.parameters,
                target_rev.secrets,
                desired_of(target_rev),
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
        if r.number < current.number and r.status == "superseded"
    ]
    if not earlier:
        raise DeployError(
            f"{instance} has no earlier revision to roll back to; "
            f"`sealift history {instance}` lists its revisions"
        )
    return earlier[-1]


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
    values = _resolve(ctx, inst, app, given, previous_values)
    generated = {n for n, p in app.model.parameters.items() if p.generate is not None}
    ctx.state.keep_values(inst.name, {n: v for n, v in values.items() if n in generated})
    with secrets_masked(_secret_values(app, values)):
        return _deploy(
            ctx,
            inst,
            app,
            values,
            sorted(params.secret_names(app.model)),
            _render(ctx, inst, app, values),
            operation,
            current,
            note=f"{operation} {app.ref}",
        )


def _resolve(
    ctx: Context,
    inst: Installation,
    app: AppVersion,
    given: dict[str, str],
    previous_values: dict[str, str],
) -> dict[str, str]:
    """Parameter values; a generated value kept for this installation name (it protects
    data in the kept volumes) is reused before a new one is made."""
    previous = {**ctx.state.kept_values(inst.name), **previous_values}
    with secrets_masked(_secret_values(app, {**previous, **given})):
        return params.resolve_values(app.model, given, previous, generate_secret)


def _secret_values(app: AppVersion, values: dict[str, str]) -> list[str]:
    return params.secret_texts(app.model, values)


def _render(
    ctx: Context, inst: Installation, app: AppVersion, values: dict[str, str]
) -> list[DesiredComponent]:
    platform = platform_of(ctx, inst)
    rendered = params.render(app.model, values)
    digests = image_digests(ctx.market.layout, images_of(app), platform)
    return ctx.target.render(rendered, inst.name, platform, inst.settings, digests)


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
    previous = desired_of(current) if current else None
    plan = plan_for(ctx.target, inst.name, desired, previous)
    recorded = [d.to_json() for d in desired]
    check_space(ctx, 4 * len(json.dumps(recorded)))
    rev = state.begin_revision(
        inst.name, operation, app.name, app.version, app.digest, values, secret, recorded
    )
    try:
        rollout = Rollout(
            ctx.target,
            inst.name,
            rev.number,
            desired,
            images_of(app),
            platform_of(ctx, inst),
            ctx.timeout,
        )
        roll_out(rollout, plan, ctx.market.layout, ctx.progress)
    except (SealiftError, HealthGateError, KeyboardInterrupt) as exc:
        raise _fail(ctx, inst, rev, current, exc) from exc
    _record(ctx, inst, rev, note)
    return Outcome(inst.name, rev.number, app.ref, plan)


def _record(ctx: Context, inst: Installation, rev: Revision, note: str) -> None:
    try:
        ctx.state.finish_revision(inst.name, rev.number, "deployed", note)
    except StoreError as exc:
        raise DeployError(
            f"{inst.name} runs {rev.ref} (revision {rev.number}), but state.db could not "
            f"record it ({exc}); free space under {ctx.home}, then run `sealift status "
            f"{inst.name}`: it records the revision"
        ) from exc


def _fail(
    ctx: Context, inst: Installation, rev: Revision, current: Revision | None, exc: BaseException
) -> DeployError:
    what = describe_failure(exc)
    log.debug("%s revision %d failed (%s); restoring", inst.name, rev.number, what)
    restored = restore(ctx, inst, current)
    message = f"{rev.operation} to {rev.ref} failed: {what}; {restored}"
    message = mask_text(message, rev.secret_values())  # history shows it
    ctx.state.finish_revision(inst.name, rev.number, "failed", message)
    if isinstance(exc, KeyboardInterrupt):
        return OperationInterrupted(message, exit_code(exc))
    if isinstance(exc, HealthGateError):
        lines = "\n".join("    " + line for line in exc.log_tail) or "    (the log is empty)"
        message += f"\nlast log lines of {exc.component}:\n{lines}"
    return DeployError(message)


# -- uninstall ---------------------------------------------------------------------------


def uninstall(ctx: Context, instance: str, *, purge: bool = False) -> list[str]:
    """Remove the installation; returns the volumes kept (or deleted with purge). Purge
    also forgets the generated values that protected the deleted data."""
    ctx = ctx.on(instance)
    state = ctx.state
    known = state.find_installation(instance) is not None
    if not known and not purge:
        raise NotFoundError(f"no installation named {instance!r}; `sealift status` lists them")
    with installation_lock(ctx.home, instance, "uninstall"):
        kept = state.kept_values(instance)
        volumes = ctx.target.remove(instance, purge=purge)
        if not (known or kept or volumes):  # --purge of a name that left nothing behind
            raise NotFoundError(f"no installation named {instance!r}; `sealift status` lists them")
        state.delete_installation(instance)
        if purge:
            state.forget_values(instance)
    return volumes


__all__ = [
    "Context",
    "Outcome",
    "check_bind_address",
    "check_instance_name",
    "generate_secret",
    "install",
    "rollback",
    "uninstall",
    "upgrade",
]
