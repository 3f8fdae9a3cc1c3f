"""The `sealift` executable. It imports the CLI lazily so that Ctrl-C during start-up
is reported in one line like everywhere else, not as a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from sealift.cli.main import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted; nothing was changed\n")
        sys.exit(130)
    run_cli()
