"""`sealift runtime build|fetch` (the vendor makes sealift.pyz) and `sealift version`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from sealift.cli import ui
from sealift.cli.context import Env
from sealift.errors import RuntimeBuildError
from sealift.runtime import read_runtime, version_report
from sealift.runtime.info import from_manifest
from sealift.space import human_size


@click.group("runtime")
def runtime_group() -> None:
    """The site runtime: sealift.pyz, which runs on a site's own python3 (3.9 to 3.13)."""


@runtime_group.command("build")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("sealift.pyz"),
    show_default=True,
    help="Where to write the runtime.",
)
@click.option(
    "--wheelhouse",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    envvar="SEALIFT_WHEELHOUSE",
    help="Build offline from the wheels in DIR (default $SEALIFT_WHEELHOUSE, else download "
    "what is missing from PyPI into $SEALIFT_HOME/runtime/wheels).",
)
@click.pass_obj
def runtime_build(env: Env, output: Path, wheelhouse: Path | None) -> None:
    """Build sealift.pyz: sealift and every dependency, for x86_64 and aarch64 and CPython
    3.9 to 3.13 (kept in $SEALIFT_HOME/runtime, rebuilt when sealift or its pins change)."""
    build = builder()
    build.build(build.BuildRequest(env.home, wheelhouse), output)
    info = read_runtime(output, output.stat().st_size)
    ui.step(
        f"wrote {output} ({human_size(info.size or 0)}): sealift {info.sealift}, {info.platforms}"
    )


@runtime_group.command("fetch")
@click.option(
    "--wheelhouse",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The directory to fill (made when missing).",
)
def runtime_fetch(wheelhouse: Path) -> None:
    """Download from PyPI every wheel the runtime needs into DIR, for a later offline
    `runtime build --wheelhouse DIR`."""
    build = builder()
    wheelhouse.mkdir(parents=True, exist_ok=True)
    results = build.fetch_wheelhouse(wheelhouse)
    count = len({w.filename for r in results for w in r.chosen.values()})
    ui.step(f"{wheelhouse} holds the {count} wheels the runtime needs")


def default_wheelhouse() -> Path | None:
    """$SEALIFT_WHEELHOUSE: the offline wheelhouse `export --with-runtime` builds from."""
    found = os.environ.get("SEALIFT_WHEELHOUSE")
    return Path(found) if found else None


def builder() -> Any:
    """`sealift.runtime.build`, imported only here: it needs `packaging` (and pip)."""
    try:
        from sealift.runtime import build
    except ImportError as exc:
        raise RuntimeBuildError(
            f"building the runtime needs the Python library {exc.name!r}; "
            f"`pip install {exc.name}` next to sealift"
        ) from exc
    return build


@click.command("version")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def version(as_json: bool) -> None:
    """sealift's version, the Python it runs on and, from sealift.pyz, the platforms the
    runtime carries."""
    report = version_report()
    if as_json:
        ui.print_json(report)
        return
    click.echo(f"sealift {report['sealift']}")
    click.echo(f"python {report['python']} ({report['python_executable']}) on {report['machine']}")
    runtime = report["runtime"]
    if runtime is None:
        click.echo("runtime: installed sealift (not sealift.pyz)")
        return
    carries = from_manifest(runtime).platforms
    click.echo(f"runtime: {report['archive']} (id {runtime['id']}), carries {carries}")


commands = [runtime_group, version]
