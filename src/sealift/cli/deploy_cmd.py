"""`sealift install|upgrade|rollback|history|status|logs|uninstall`: parse, call deploy/, print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sealift.cli import ui
from sealift.cli.context import Env
from sealift.deploy import queries
from sealift.deploy.context import Context, site_context
from sealift.model.units import parse_duration

if TYPE_CHECKING:
    from sealift.deploy.plan import Plan


def _context(
    env: Env, timeout: str = "5m", target: str = "docker", bounded: bool = False
) -> Context:
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timeout") from None
    return site_context(env.home, ui.progress(), seconds, target, bounded)


def _values_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option(
        "--values",
        "values_files",
        multiple=True,
        metavar="FILE",
        type=click.Path(path_type=Path, dir_okay=False),
        help="YAML file of parameter values (repeatable).",
    )(func)
    func = click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="K=V",
        help="Set a parameter (repeatable; wins over --values).",
    )(func)
    return click.option(
        "--timeout",
        default="5m",
        show_default=True,
        help="How long components may take to pass their health checks, and any one call "
        "to the engine may take.",
    )(func)


@click.command("install")
@click.argument("ref", metavar="NAME:VERSION")
@click.option("--name", "instance", help="Installation name (default: the app's name).")
@click.option(
    "--target",
    default="docker",
    show_default=True,
    type=click.Choice(["docker", "systemd"]),
    help="docker: this host's engine; systemd: units on a host with no container engine.",
)
@click.option(
    "--platform",
    help="Run images for this platform, e.g. linux/arm64 (default: the engine's; with "
    "--target systemd, this host's).",
)
@click.option(
    "--bind-address",
    help="IP address exposed ports are published on (default 0.0.0.0; 127.0.0.1: this host only).",
)
@_values_options
@click.pass_obj
def install_cmd(
    env: Env,
    ref: str,
    instance: str | None,
    target: str,
    platform: str | None,
    bind_address: str | None,
    sets: tuple[str, ...],
    values_files: tuple[Path, ...],
    timeout: str,
) -> None:
    """Install an app version from the market."""
    from sealift.deploy import operations as ops  # the model and more: not for the views
    from sealift.deploy.values import parse_given

    ctx = _context(env, timeout, target, bounded=True)
    given = parse_given(list(sets), list(values_files))
    ui.step(f"installing {ref}" + (f" as {instance}" if instance else ""))
    out = ops.install(
        ctx,
        ref,
        name=instance,
        given=given,
        platform=platform,
        bind_address=bind_address,
    )
    ui.step(f"installed {out.ref} as {out.installation} (revision {out.revision})")


@click.command("upgrade")
@click.argument("instance")
@click.argument("version")
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: the plan as JSON.")
@_values_options
@click.pass_obj
def upgrade_cmd(
    env: Env,
    instance: str,
    version: str,
    dry_run: bool,
    as_json: bool,
    sets: tuple[str, ...],
    values_files: tuple[Path, ...],
    timeout: str,
) -> None:
    """Upgrade INSTANCE to VERSION of its app (every change is applied; failure restores)."""
    from sealift.deploy import operations as ops  # the model and more: not for the views
    from sealift.deploy.values import parse_given

    ctx = _context(env, timeout, bounded=True)
    given = parse_given(list(sets), list(values_files))
    if not dry_run:
        ui.step(f"upgrading {instance} to {version}")
    out = ops.upgrade(ctx, instance, version, given=given, dry_run=dry_run)
    if dry_run:
        _print_plan(out.plan, out.ref, as_json)
        return
    ui.step(f"upgraded {instance} to {out.ref} (revision {out.revision})")


def _print_plan(plan: Plan, ref: str, as_json: bool) -> None:
    if as_json:
        ui.print_json({"version": ref, "steps": plan.to_json()})
        return
    table = ui.table(title=f"plan for {ref}", title_justify="left")
    for column in ("component", "action", "reason"):
        table.add_column(column)
    for step in plan.steps:
        table.add_row(step.component, step.action, step.reason)
    ui.out.print(table)
    ui.out.print(
        "nothing to change (dry run)"
        if plan.is_empty
        else f"{len(plan.changes())} change(s); nothing was changed (dry run)"
    )


@click.command("rollback")
@click.argument("instance")
@click.argument("revision", type=int, required=False)
@click.option(
    "--timeout",
    default="5m",
    show_default=True,
    help="How long components may take to pass their health checks, and any one call to "
    "the engine may take.",
)
@click.pass_obj
def rollback_cmd(env: Env, instance: str, revision: int | None, timeout: str) -> None:
    """Deploy an earlier revision (default: the previous one) as a new revision."""
    from sealift.deploy import operations as ops  # the model and more: not for the views

    ctx = _context(env, timeout, bounded=True)
    ui.step(f"rolling back {instance}" + (f" to revision {revision}" if revision else ""))
    out = ops.rollback(ctx, instance, revision)
    for note in out.notes:
        ui.step(note)
    ui.step(f"{instance} runs {out.ref} again (revision {out.revision})")


@click.command("history")
@click.argument("instance")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def history_cmd(env: Env, instance: str, as_json: bool) -> None:
    """The revisions of INSTANCE."""
    revisions = queries.history(_context(env), instance)
    if as_json:
        ui.print_json([queries.revision_json(r) for r in revisions])
        return
    table = ui.table()
    for column in ("revision", "version", "status", "operation", "started", "message"):
        table.add_column(column)
    for r in revisions:
        table.add_row(
            str(r.number),
            r.ref,
            r.status,
            r.operation,
            r.started,
            r.message.splitlines()[0] if r.message else "",
        )
    ui.out.print(table)


@click.command("status")
@click.argument("instance", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status_cmd(env: Env, instance: str | None, as_json: bool) -> None:
    """Per component: state, health, image, restarts, ports (all installations without
    INSTANCE)."""
    found = queries.status(_context(env), instance)
    if as_json:
        ui.print_json([s.to_json() for s in found])
        return
    if not found:
        ui.out.print("no installations")
    for inst in found:
        ui.out.print(
            f"[bold]{inst.name}[/bold]  {inst.app}:{inst.version}  revision "
            f"{inst.revision}  {inst.status}"
        )
        table = ui.table()
        for column in ("component", "state", "health", "image", "restarts", "ports"):
            table.add_column(column)
        for c in inst.components:
            name = c.component if c.replica == 1 else f"{c.component}[{c.replica}]"
            table.add_row(
                name,
                c.state,
                c.health,
                c.image.removeprefix("sha256:")[:12],
                str(c.restarts),
                ", ".join(c.ports),
            )
        ui.out.print(table)


@click.command("logs")
@click.argument("instance")
@click.argument("component")
@click.option("--tail", default=100, show_default=True, help="Lines from the end.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.pass_obj
def logs_cmd(env: Env, instance: str, component: str, tail: int, follow: bool) -> None:
    """The log of one component of INSTANCE."""
    for line in queries.logs(_context(env), instance, component, tail=tail, follow=follow):
        click.echo(line)


@click.command("uninstall")
@click.argument("instance")
@click.option(
    "--purge",
    is_flag=True,
    help="Also delete the volumes (the data!) and forget the generated secrets kept for them.",
)
@click.pass_obj
def uninstall_cmd(env: Env, instance: str, purge: bool) -> None:
    """Remove INSTANCE; its volumes stay unless --purge."""
    from sealift.deploy import operations as ops  # the model and more: not for the views

    volumes = ops.uninstall(_context(env), instance, purge=purge)
    ui.step(f"uninstalled {instance}")
    if volumes:
        verb = "deleted" if purge else "kept (reinstall finds them; --purge deletes)"
        ui.step(f"volumes {verb}: {', '.join(volumes)}")


commands = [
    install_cmd,
    upgrade_cmd,
    rollback_cmd,
    history_cmd,
    status_cmd,
    logs_cmd,
    uninstall_cmd,
]
__all__ = ["commands"]
