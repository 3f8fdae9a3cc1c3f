"""`sealift schema`: the JSON Schema of sealift.yaml."""

from __future__ import annotations

import json

import click

from sealift.model.schema import json_schema


@click.command()
def schema() -> None:
    """Print the JSON Schema of sealift.yaml (for editors)."""
    click.echo(json.dumps(json_schema(), indent=2))


commands = [schema]
