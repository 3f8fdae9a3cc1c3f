"""Entry point: `sealift ...`. Errors a user can fix are one line; bugs keep their traceback."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from sealift import __version__
from sealift.cli import commands
from sealift.cli.context import Env
from sealift.errors import SealiftError


def default_home() -> Path:
    env = os.environ.get("SEALIFT_HOME")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "sealift"


@click.group(cls=commands.LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the store and state live (default $SEALIFT_HOME or ~/.local/share/sealift).",
)
@click.version_option(__version__, prog_name="sealift")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Deliver multi-service applications into sites with no network."""
    ctx.obj = Env(home=(home or default_home()).absolute())


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="sealift", standalone_mode=False)
    except click.exceptions.Abort:
        fail("interrupted; nothing was changed", 130)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        fail(exc.format_message() + hint, exc.exit_code)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except SealiftError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        fail("interrupted; nothing was changed", 130)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            fail("no space left on device; free some space and run the command again")
        if exc.errno == errno.EPIPE:
            sys.exit(1)
        raise


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
