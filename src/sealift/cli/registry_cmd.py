"""`sealift registry serve` and `sealift push`: the site's registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sealift.cli import ui
from sealift.cli.context import Env
from sealift.cli.options import platform_options
from sealift.errors import UsageError
from sealift.space import human_size

if TYPE_CHECKING:
    from sealift.oci.descriptor import Platform

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


@click.group("registry")
def registry_group() -> None:
    """Serve the store as a read-only OCI registry."""


@registry_group.command("serve")
@click.option(
    "--listen",
    default="127.0.0.1:5000",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve on.",
)
@click.option("--tls-cert", type=_FILE, help="Serve HTTPS with this certificate (PEM).")
@click.option("--tls-key", type=_FILE, help="The certificate's private key (PEM).")
@click.option(
    "--htpasswd", type=_FILE, help="Require a login from this file (bcrypt, `htpasswd -B`)."
)
@click.pass_obj
def registry_serve(
    env: Env, listen: str, tls_cert: Path | None, tls_key: Path | None, htpasswd: Path | None
) -> None:
    """Serve the market's images read-only as <app>/<component>:<version> until Ctrl-C."""
    from sealift.market.siteregistry import Listen, ServeOptions, Tls, serve

    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together; pass both or neither")
    tls = Tls(tls_cert, tls_key) if tls_cert is not None and tls_key is not None else None
    options = ServeOptions(Listen.parse(listen), tls, htpasswd)
    scheme = "https" if tls else "http"
    login = ", login required" if htpasswd else ""

    def ready() -> None:
        ui.step(f"serving the store read-only on {scheme}://{listen}/v2/{login} (Ctrl-C stops)")

    serve(env.store, options, on_ready=ready)


@click.command("push")
@click.argument("refs", nargs=-1, required=True, metavar="NAME:VERSION...")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="HOST[/PREFIX]",
    help="The site's registry (and a path prefix for the repositories).",
)
@platform_options
@click.option(
    "--insecure-registry", "insecure", is_flag=True, help="Speak plain HTTP to the registry."
)
@click.option("--ca-cert", type=_FILE, help="Trust this CA (PEM) for the registry's TLS.")
@click.pass_obj
def push_cmd(
    env: Env,
    refs: tuple[str, ...],
    target: str,
    platforms: tuple[Platform, ...],
    insecure: bool,
    ca_cert: Path | None,
) -> None:
    """Copy every image of app versions into the site's registry.

    Images are named HOST/PREFIX/<app>/<component>:<version>; blobs and manifests the
    registry has already are skipped, so a re-run after an interruption resumes."""
    from sealift.market.catalog import Market
    from sealift.market.push import PushOptions, push

    market = Market(env.store)
    apps = [market.find(ref) for ref in refs]
    options = PushOptions(target, platforms, insecure, ca_cert)
    ui.step(f"pushing {', '.join(a.ref for a in apps)} to {target}")
    done = push(market, apps, options, ui.progress())
    for image in done.images:
        ui.out.print(image, markup=False)  # stdout: what a script uses next
    ui.step(
        f"pushed {len(done.images)} image(s): {done.uploaded} blob(s) uploaded "
        f"({human_size(done.uploaded_bytes)}), {done.mounted} mounted, "
        f"{done.skipped} already there"
    )


commands = [registry_group, push_cmd]
