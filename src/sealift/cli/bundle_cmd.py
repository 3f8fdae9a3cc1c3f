"""`sealift export`, `import`, `bundle inspect`, `keygen` and `inventory`.

Start-up time counts here (a bundle import is timed against `cp`): each command
imports the modules it needs when it runs, and the rich-based UI only on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sealift.bundle.parts import parse_size
from sealift.cli.context import Env
from sealift.cli.main import as_typed
from sealift.cli.options import platform_options
from sealift.errors import BundleError
from sealift.oci.descriptor import Platform
from sealift.progress import Progress, SilentProgress
from sealift.space import human_size

if TYPE_CHECKING:
    from sealift.bundle.inspect import BundleInfo, ComponentInfo


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _step(text: str) -> None:
    """ui.step, without loading rich when nobody sees the styling."""
    if _on_terminal():
        from sealift.cli import ui

        ui.step(text)
    else:
        click.echo(f"==> {text}", err=True)


class _QuietProgress(SilentProgress):
    """Notes only, as ui.QuietProgress, for output that is not a terminal."""

    def note(self, text: str) -> None:
        click.echo(f"    {text}", err=True)


def _progress() -> Progress:
    if _on_terminal():
        from sealift.cli import ui

        return ui.progress()
    return _QuietProgress()


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    if value is None:
        return 0
    try:
        return parse_size(value)
    except BundleError as exc:
        raise click.BadParameter(exc.message) from None


@click.command("export")
@click.argument("refs", nargs=-1, required=True, metavar="NAME:VERSION...")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The bundle file to write.",
)
@platform_options
@click.option(
    "--since",
    multiple=True,
    metavar="VERSION",
    help="Leave out every blob this earlier version has (VERSION or NAME:VERSION).",
)
@click.option(
    "--for",
    "for_inventory",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Leave out every blob the site's inventory lists (`sealift inventory`).",
)
@click.option(
    "--split",
    "part_size",
    callback=_size,
    metavar="SIZE",
    help="Write numbered parts of at most SIZE (K, M, G), e.g. 4G.",
)
@click.option(
    "--sign",
    "key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Sign with this Ed25519 private key (`sealift keygen`).",
)
@click.option(
    "--with-runtime",
    is_flag=True,
    help="Carry the site runtime sealift.pyz (built into $SEALIFT_HOME/runtime when "
    "missing; from $SEALIFT_WHEELHOUSE when set) so the site needs only python3 and tar.",
)
@click.option(
    "--runtime",
    "runtime_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Carry this sealift.pyz (`sealift runtime build`); implies --with-runtime.",
)
@click.option(
    "--as",
    "package",
    type=click.Choice(["compose", "helm"]),
    help="Write a package that needs no sealift at the site: Compose files, images and "
    "install.sh, or a Helm chart and its images (one version, one platform).",
)
@click.pass_obj
def export_cmd(
    env: Env,
    refs: tuple[str, ...],
    output: Path,
    platforms: tuple[Platform, ...],
    since: tuple[str, ...],
    for_inventory: Path | None,
    part_size: int,
    key: Path | None,
    with_runtime: bool,
    runtime_file: Path | None,
    package: str | None,
) -> None:
    """Write app versions and every image they need into one bundle file.

    The bundle is a plain tar that is an OCI image layout. --platform keeps only those
    platforms of every component image; that rewrites the app version's index, so the
    exported version gets a new digest (same name, version, model and chosen images).
    With --as compose|helm, the file is a package a site uses without sealift.
    """
    if package is not None:
        unused = bool(since or for_inventory or part_size or key or with_runtime or runtime_file)
        _export_package(env, refs, output, platforms, package, unused)
        return
    runtime = runtime_file or (partial(_site_runtime, env) if with_runtime else None)
    _export_bundle(env, refs, output, platforms, since, for_inventory, part_size, key, runtime)


def _export_bundle(
    env: Env,
    refs: tuple[str, ...],
    output: Path,
    platforms: tuple[Platform, ...],
    since: tuple[str, ...],
    for_inventory: Path | None,
    part_size: int,
    key: Path | None,
    runtime: Path | Callable[[], Path] | None,
) -> None:
    """`runtime` is a file to carry, or builds it: only once the command line is checked."""
    from sealift.bundle import inventory as inv
    from sealift.bundle.export import ExportOptions, export
    from sealift.bundle.signing import load_private
    from sealift.files import check_output
    from sealift.market.catalog import Market
    from sealift.market.format import split_ref

    for ref in refs:  # mistakes in the command line are refused before anything is announced
        split_ref(ref)
    check_output(output)
    options = ExportOptions(
        list(refs),
        list(platforms),
        list(since),
        inv.read(for_inventory) if for_inventory else None,
        runtime() if callable(runtime) else runtime,
    )
    private = load_private(key) if key is not None else None
    _step(f"exporting {', '.join(refs)} to {output}")
    result = export(
        Market(env.store), options, output, part_size=part_size, key=private, progress=_progress()
    )
    m = result.manifest
    if m.differential:
        _step(
            f"left out {m.left_out} blob(s), {human_size(m.left_out_bytes)}, that "
            f"{', '.join(b.ref for b in m.bases) or 'the site'} already has"
        )
    names = ", ".join(f.name for f in result.files)
    _step(
        f"wrote {names} ({human_size(m.size)}, {len(m.blobs)} blobs{', signed' if private else ''})"
    )


def _site_runtime(env: Env) -> Path:
    """The cached runtime of this sealift, built first when it is missing."""
    from sealift.cli.runtime_cmd import builder, default_wheelhouse

    build = builder()
    _step("preparing the site runtime (sealift.pyz)")
    return Path(build.cached_runtime(build.BuildRequest(env.home, default_wheelhouse())))


def _export_package(
    env: Env,
    refs: tuple[str, ...],
    output: Path,
    platforms: tuple[Platform, ...],
    kind: str,
    unused: bool,
) -> None:
    from sealift.bundle.packages import export_package
    from sealift.deploy.operations import generate_secret
    from sealift.market.catalog import Market
    from sealift.market.format import split_ref

    if len(refs) != 1 or len(platforms) > 1 or unused:
        raise click.UsageError(
            f"--as {kind} packages one NAME:VERSION for one --platform; "
            "--since, --for, --split and --sign are for bundles"
        )
    split_ref(refs[0])
    _step(f"exporting {refs[0]} as a {kind} package to {output}")
    result = export_package(
        Market(env.store),
        refs[0],
        kind,
        output,
        generate=generate_secret,
        platform=platforms[0] if platforms else None,
        progress=_progress(),
    )
    for warning in result.warnings:
        click.echo(f"warning: {as_typed(warning)}", err=True)
    _step(f"wrote {output} ({human_size(result.size)}, {result.platform})")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--verify",
    "verify_key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Refuse the bundle unless this public key signed it.",
)
@click.pass_obj
def import_cmd(env: Env, file: Path, verify_key: Path | None) -> None:
    """Verify a bundle (or its parts) and add its app versions to the local market."""
    from sealift.bundle.importer import ImportOptions, import_bundle
    from sealift.market.catalog import Market
    from sealift.market.origin import NOT_VERIFIED

    options = ImportOptions(
        staging_dir=env.home / "staging", trust_dir=env.trust_dir, verify_key=verify_key
    )
    _step(f"importing {file}")
    result = import_bundle(Market(env.store), file, options, _progress())
    if result.signed_by:
        _step(f"signature good (key {result.signed_by[:19]}...)")
    elif result.origin.status == NOT_VERIFIED:
        _step("the bundle is signed, but no trusted key was there to check it (--verify KEY.pub)")
    for ref in result.present:
        _step(f"{ref} was already in the store")
    for app in result.imported:
        _step(f"imported {app.ref} (digest {app.digest})")
    _step(
        f"{result.written} blob(s) written ({human_size(result.bytes_written)}), "
        f"{result.reused} reused"
    )


@click.group("bundle")
def bundle_group() -> None:
    """Look into bundle files."""


@bundle_group.command("inspect")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True, help="Also verify the digest of every blob.")
@click.pass_obj
def inspect_cmd(env: Env, file: Path, as_json: bool, check: bool) -> None:
    """Show what a bundle carries without importing it."""
    from sealift.bundle.inspect import inspect_bundle
    from sealift.cli import ui

    info = inspect_bundle(
        file,
        check=check,
        trust_dir=env.trust_dir,
        progress=_progress() if check else _QuietProgress(),
    )
    if as_json:
        ui.print_json(info.to_json())
    else:
        _print_info(info)
    if info.problems:
        raise BundleError(info.problems[0])


def _print_info(info: BundleInfo) -> None:
    m = info.manifest
    echo = click.echo
    echo(f"bundle     {', '.join(str(f) for f in info.files)}")
    echo(
        f"size       {human_size(m.size)} in {len(m.blobs)} blobs, made by {m.creator} "
        f"at {m.created}"
    )
    echo(f"platforms  {', '.join(m.platforms) or 'unknown'}")
    echo(f"signature  {_signature_text(info)}")
    if m.runtime is not None:
        echo(
            f"runtime    sealift.pyz (sealift {m.runtime.sealift}, "
            f"{human_size(m.runtime.size)}): CPython {m.runtime.pythons[0]}-"
            f"{m.runtime.pythons[-1]} on {', '.join(m.runtime.machines)} "
            f"(glibc >= {m.runtime.glibc}); `tar -xf BUNDLE sealift.pyz` gets it"
        )
    if m.differential:
        echo(
            f"base       {', '.join(b.ref for b in m.bases) or '(a site inventory)'}: "
            f"{m.left_out} blob(s), {human_size(m.left_out_bytes)} left out"
        )
    for app in info.apps:
        echo(f"app        {app.ref.ref}  {app.ref.digest}")
        for c in app.components:
            echo(f"  {c.name:<20} {_component_text(c)}")
    if info.checked:
        echo("check      every blob matches its digest")


def _component_text(c: ComponentInfo) -> str:
    if not c.size and not c.complete:
        return "unchanged: all of it is in the base"
    note = "" if c.complete else "  (partly in the base)"
    return f"{', '.join(c.platforms) or '?':<28} {human_size(c.size):>10}{note}"


def _signature_text(info: BundleInfo) -> str:
    if not info.signature_key:
        return "none"
    trust = {None: "no trusted keys to check against", True: "trusted", False: "NOT trusted"}[
        info.signature_trusted
    ]
    return f"Ed25519 key {info.signature_key[:23]}... ({trust})"


@click.command("keygen")
@click.option(
    "-o",
    "--output",
    "prefix",
    type=click.Path(path_type=Path),
    required=True,
    help="Write PREFIX.key (private) and PREFIX.pub (public).",
)
def keygen_cmd(prefix: Path) -> None:
    """Make an Ed25519 key pair for signing bundles."""
    from sealift.bundle.signing import keygen

    private, public = keygen(prefix)
    _step(
        f"wrote {private} (keep it secret) and {public} (give it to sites; they put it "
        "in $SEALIFT_HOME/trust/)"
    )


@click.command("inventory")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The inventory file to write.",
)
@click.pass_obj
def inventory_cmd(env: Env, output: Path) -> None:
    """List this store's app versions and blobs, for `export --for` at the vendor."""
    from sealift.bundle import inventory as inv
    from sealift.market.catalog import Market

    inventory = inv.take(Market(env.store))
    inv.write(inventory, output)
    _step(f"wrote {output}: {len(inventory.apps)} app version(s), {len(inventory.blobs)} blobs")


commands: list[click.Command] = [export_cmd, import_cmd, bundle_group, keygen_cmd, inventory_cmd]
