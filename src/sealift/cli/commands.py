"""Every command of the CLI, one module per group of commands."""

from __future__ import annotations

import importlib
import importlib.util

import click

# TEMPORARY while the command modules are being written in parallel: import those present.
_MODULES = ["model_cmd", "convert_cmd", "market_cmd", "bundle_cmd", "deploy_cmd"]

ALL: list[click.Command] = []
for _name in _MODULES:
    if importlib.util.find_spec(f"sealift.cli.{_name}") is not None:
        ALL.extend(importlib.import_module(f"sealift.cli.{_name}").commands)
