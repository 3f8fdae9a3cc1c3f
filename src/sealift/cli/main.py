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
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    help="Log what is done and show the causes of an error (also after the command, "
    "or SEALIFT_DEBUG=1).",
)
@click.version_option(__version__, prog_name="sealift")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Deliver multi-service applications into sites with no network."""
    ctx.obj = Env(home=(home or default_home()).absolute())


def take_debug(args: list[str]) -> bool:
    """Remove every `--debug` before a `--` from `args`; True if one was there or
    SEALIFT_DEBUG is set (so the flag works before or after the command's name)."""
    end = args.index("--") if "--" in args else len(args)
    found = "--debug" in args[:end]
    args[:end] = [a for a in args[:end] if a != "--debug"]
    return found or os.environ.get("SEALIFT_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = take_debug(args)
    if debug:
        from sealift.cli.debug import start_log

        start_log()
    try:
        run(args, debug)
    except SealiftError as exc:
        fail(exc.message, exc.exit_code, cause=exc if debug else None)


def run(args: list[str], debug: bool) -> None:
    try:
        cli.main(args=args, prog_name=command_name(), standalone_mode=False)
    except click.exceptions.Abort:
        fail("interrupted; nothing was changed", 130)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        fail(exc.format_message() + hint, exc.exit_code)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during an operation
        fail("interrupted; nothing was changed", 128 + getattr(exc, "signum", 2))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            message = "no space left on device; free some space and run the command again"
            fail(message, cause=exc if debug else None)
        if exc.errno == errno.EPIPE:
            sys.exit(1)
        raise


def command_name() -> str:
    """How sealift was started, for the commands its messages suggest: `sealift`, or
    `python3 PATH/sealift.pyz` when the site runtime runs it."""
    program = sys.argv[0] if sys.argv else ""
    return f"python3 {program}" if program.endswith(".pyz") else "sealift"


def as_typed(message: str) -> str:
    """`message` with each suggested command (`sealift ...`) as this site types it."""
    name = command_name()
    return message if name == "sealift" else message.replace("`sealift ", f"`{name} ")


def fail(message: str, code: int = 1, cause: BaseException | None = None) -> None:
    """Print `error: message` (and, when debugging, what `cause` was raised from); exit."""
    click.echo(f"error: {as_typed(message)}", err=True)
    if cause is not None:
        from sealift.cli.debug import cause_chain

        for line in cause_chain(cause):
            click.echo(line, err=True)
    sys.exit(code)
