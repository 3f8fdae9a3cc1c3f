"""Every command of the CLI, by the module that holds it.

Modules are imported only when their command runs, so `sealift import` at the site
does not pay for docker-py, httpx and the registry client at start-up; `sealift --help`
lists the commands from `SUMMARIES` without importing any of them.
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
    "store": "store_cmd",
    "runtime": "runtime_cmd",
    "version": "runtime_cmd",
    "registry": "registry_cmd",
    "push": "registry_cmd",
    "render": "render_cmd",
    "console": "console_cmd",
}


SUMMARIES: dict[str, str] = {
    "bundle": "Look into bundle files.",
    "console": "Serve the web console (on 127.0.0.1:8700 unless --listen).",
    "convert": "Convert compose file(s) or Kubernetes manifests to an app model (sealift.yaml).",
    "export": "Write app versions and every image they need into one bundle file.",
    "history": "The revisions of INSTANCE.",
    "import": "Verify a bundle (or its parts) and add its app versions to the local market.",
    "install": "Install an app version from the market.",
    "inventory": "List this store's app versions and blobs, for `export --for` at the vendor.",
    "keygen": "Make an Ed25519 key pair for signing bundles.",
    "logs": "The log of one component of INSTANCE.",
    "market": "The app versions in the local market.",
    "publish": "Pin every image of MODEL_FILE to a digest and copy it into the local market.",
    "rollback": "Deploy an earlier revision (default: the previous one) as a new revision.",
    "schema": "Print the JSON Schema of sealift.yaml (for editors).",
    "status": "Per component: state, health, image, restarts, ports (all installations "
    "without INSTANCE).",
    "store": "The local store ($SEALIFT_HOME/store, an OCI image layout).",
    "runtime": "The site runtime: sealift.pyz, which runs on a site's own python3 (3.9 to 3.13).",
    "version": "sealift's version, the Python it runs on and, from sealift.pyz, the platforms the "
    "runtime carries.",
    "render": "Render NAME:VERSION as files another tool runs (Helm, kubectl, Compose).",
    "registry": "Serve the store as a read-only OCI registry.",
    "push": "Copy every image of app versions into the site's registry.",
    "uninstall": "Remove INSTANCE; its volumes stay unless --purge.",
    "upgrade": "Upgrade INSTANCE to VERSION of its app (every change is applied; failure "
    "restores).",
}
"""The first paragraph of each command's help, for the command list of `sealift --help`
(tests/unit/test_cli_main.py checks each against its command). A command missing here
is imported to list it."""


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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own listing, but from `SUMMARIES`: nothing is imported."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def short_help(name: str, limit: int) -> str:
    """What click shows for command `name` in a listing `limit` characters wide."""
    summary = SUMMARIES.get(name)
    command = load(name) if summary is None else click.Command(name, help=summary)
    return command.get_short_help_str(limit) if command else ""
