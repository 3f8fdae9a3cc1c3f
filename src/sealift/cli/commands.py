"""Every command of the CLI, by the module that holds it.

Modules are imported only when their command runs, so `sealift import` at the site
does not pay for docker-py, httpx and the registry client at start-up.
"""

from __future__ import annotations

import importlib

import click

MODULES: dict[str, str] = {
    "convert": "convert_cmd",
    "schema": "model_cmd",
    "publish": "market_cmd",
    "market": "market_cmd",
    "export": "bundle_cmd",
    "import": "bundle_cmd",
    "bundle": "bundle_cmd",
    "keygen": "bundle_cmd",
    "inventory": "bundle_cmd",
    "install": "deploy_cmd",
    "upgrade": "deploy_cmd",
    "rollback": "deploy_cmd",
    "history": "deploy_cmd",
    "status": "deploy_cmd",
    "logs": "deploy_cmd",
    "uninstall": "deploy_cmd",
}


def load(name: str) -> click.Command | None:
    module_name = MODULES.get(name)
    if module_name is None:
        return None
    module = importlib.import_module(f"sealift.cli.{module_name}")
    found: list[click.Command] = [c for c in module.commands if c.name == name]
    return found[0] if found else None


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load(cmd_name)
