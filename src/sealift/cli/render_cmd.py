"""`sealift render`: an app version as a Helm chart, Kubernetes manifests or a compose file."""

from __future__ import annotations

from pathlib import Path

import click

from sealift.cli import ui
from sealift.cli.context import Env


@click.command("render")
@click.argument("ref", metavar="NAME:VERSION")
@click.option(
    "--as",
    "kind",
    required=True,
    type=click.Choice(["helm", "manifests", "compose"]),
    help="helm: a chart; manifests: plain YAML with a kustomization; compose: a compose file.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to create (must not exist, or be empty).",
)
@click.option(
    "--registry",
    metavar="HOST[/PREFIX]",
    help="Pull images from the site's registry (where `sealift push --to` put them).",
)
@click.option(
    "--platform",
    help="Every image must have this platform (default linux/amd64).",
)
@click.option(
    "--values",
    "values_files",
    multiple=True,
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file of parameter values (repeatable).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="K=V",
    help="Set a parameter (repeatable; wins over --values).",
)
@click.pass_obj
def render_cmd(
    env: Env,
    ref: str,
    kind: str,
    out_dir: Path,
    registry: str | None,
    platform: str | None,
    values_files: tuple[Path, ...],
    sets: tuple[str, ...],
) -> None:
    """Render NAME:VERSION as files another tool runs (Helm, kubectl, Compose)."""
    from sealift.deploy.operations import generate_secret
    from sealift.deploy.values import parse_given, secrets_masked
    from sealift.market.catalog import Market
    from sealift.market.rendering import render_input, render_version, write_rendering

    given = parse_given(list(sets), list(values_files))
    with secrets_masked(given.values()):
        inp = render_input(
            Market(env.store),
            ref,
            kind,
            given,
            generate=generate_secret,
            registry=registry,
            platform=platform,
        )
    rendering = render_version(inp, kind)
    write_rendering(rendering, out_dir)
    for warning in rendering.warnings:
        ui.err.print(f"warning: {warning}", markup=False, highlight=False)
    ui.step(f"rendered {ref} as {kind} into {out_dir}")


commands = [render_cmd]
