"""`sealift console`: serve the web console (sealift.web)."""

from __future__ import annotations

from pathlib import Path

import click

from sealift.cli.context import Env

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


@click.command("console")
@click.option(
    "--listen",
    default="127.0.0.1:8700",
    show_default=True,
    metavar="ADDR:PORT",
    help="Where to listen; an address other than this host's needs TLS or --insecure-http.",
)
@click.option(
    "--import-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A directory (e.g. a mounted USB disk) whose bundles the console may import.",
)
@click.option("--password-file", type=_FILE, help="The admin password (its first line).")
@click.option("--tls-cert", type=_FILE, help="PEM certificate: serve HTTPS.")
@click.option("--tls-key", type=_FILE, help="PEM private key of --tls-cert.")
@click.option(
    "--insecure-http", is_flag=True, help="Allow plain HTTP on an address other than loopback."
)
@click.pass_obj
def console_cmd(
    env: Env,
    listen: str,
    import_dir: Path | None,
    password_file: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    insecure_http: bool,
) -> None:
    """Serve the web console (on 127.0.0.1:8700 unless --listen)."""
    from sealift.web.server import ServeOptions, serve

    options = ServeOptions(
        env.home, listen, import_dir, password_file, tls_cert, tls_key, insecure_http
    )
    serve(options, lambda text: click.echo(text, err=True))


commands = [console_cmd]
__all__ = ["commands"]
