"""`sealift publish` and `sealift market list|show|remove`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sealift.cli import ui
from sealift.cli.context import Env
from sealift.cli.options import platform_options
from sealift.errors import NotFoundError
from sealift.files import MODEL_LIMIT, read_text_limited
from sealift.market.catalog import Market, version_details, version_summary
from sealift.space import human_size

if TYPE_CHECKING:
    from sealift.oci.descriptor import Platform


@click.command("publish")
@click.argument("model_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--version", "version", help="Publish as this version (overrides the file).")
@platform_options
@click.option(
    "--source",
    type=click.Choice(["auto", "engine", "registry"]),
    default="auto",
    show_default=True,
    help="Where images come from: the local engine, their "
    "registry, or the engine when it has them.",
)
@click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Use plain HTTP for this registry (loopback always is).",
)
@click.option("--force", is_flag=True, help="Replace a version that is already published.")
@click.pass_obj
def publish_cmd(
    env: Env,
    model_file: Path,
    version: str | None,
    platforms: tuple[Platform, ...],
    source: str,
    insecure: tuple[str, ...],
    force: bool,
) -> None:
    """Pin every image of MODEL_FILE to a digest and copy it into the local market."""
    from sealift.market.publish import PublishOptions, publish  # heavy: not for `market list`
    from sealift.model.load import parse_model_text

    model = parse_model_text(_read_text(model_file), str(model_file))
    market = Market(env.store)
    options = PublishOptions(
        version=version, platforms=platforms, source=source, insecure=insecure, force=force
    )
    ui.step(
        f"publishing {model.name}:{version or model.version} "
        f"({_plural(len(model.components), 'component')})"
    )
    app = publish(market, model, options, ui.progress())
    total = sum(c.size for c in app.components)
    ui.step(f"published {app.ref} ({human_size(total)}, digest {app.digest})")


def _read_text(path: Path) -> str:
    try:
        return read_text_limited(path, MODEL_LIMIT, "an app model")
    except FileNotFoundError:
        raise NotFoundError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise NotFoundError(f"cannot read {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {path}: {exc.strerror or exc}") from None


@click.group("market")
def market_group() -> None:
    """The app versions in the local market."""


@market_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def market_list(env: Env, as_json: bool) -> None:
    """Every app version in the market."""
    apps = Market(env.store).list()
    if as_json:
        ui.print_json([version_summary(a) for a in apps])
        return
    if not apps:
        ui.out.print("The market is empty: `sealift publish` or `sealift import` adds to it.")
        return
    table = ui.table(
        "APP", "VERSION", "COMPONENTS", "PLATFORMS", "SIZE", "DIGEST", "SIGNATURE", box=None
    )
    for app in apps:
        s = version_summary(app)
        table.add_row(
            app.name,
            app.version,
            str(len(app.components)),
            ", ".join(s["platforms"]),
            human_size(s["size"]),
            app.digest[:19],
            s["signature"],
        )
    ui.out.print(table)


@market_group.command("show")
@click.argument("ref", metavar="NAME:VERSION")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def market_show(env: Env, ref: str, as_json: bool) -> None:
    """The components of one app version, their pinned images, platforms and sizes."""
    app = Market(env.store).find(ref)
    if as_json:
        ui.print_json(version_details(app))
        return
    ui.out.print(f"[bold]{app.ref}[/bold]  {app.model.description or ''}")
    ui.out.print(f"digest     {app.digest}\ncreated    {app.created}")
    key = f" (key {app.origin.key})" if app.origin.key else ""
    ui.out.print(f"signature  {app.origin.text()}{key}", markup=False)
    if app.origin.file:
        ui.out.print(f"origin     imported from {app.origin.file} at {app.origin.at}", markup=False)
    table = ui.table("COMPONENT", "IMAGE", "PLATFORMS", "SIZE", box=None)
    for comp in app.components:
        table.add_row(
            comp.name, comp.image, ", ".join(map(str, comp.platforms)), human_size(comp.size)
        )
    ui.out.print(table)


@market_group.command("remove")
@click.argument("ref", metavar="NAME:VERSION")
@click.pass_obj
def market_remove(env: Env, ref: str) -> None:
    """Remove an app version and free the blobs nothing else uses.

    Refused while an installation runs the version or may restore it."""
    from sealift.deploy.removal import remove_version  # state.db: not for `market list`

    def waiting() -> None:
        ui.step("waiting for other commands that use the store to finish")

    removed = remove_version(env.home, ref, waiting)
    ui.step(f"removed {ref}; freed {removed.blobs} blobs ({human_size(removed.bytes)})")


commands: list[click.Command] = [publish_cmd, market_group]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
