"""Every command of the CLI, one module per group of commands."""

from __future__ import annotations

import click

ALL: list[click.Command] = []
