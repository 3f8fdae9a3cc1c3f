"""The CLI's own contract: every command is reachable, errors are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sealift.cli import commands
from sealift.cli.main import cli


def test_every_command_of_the_contract_is_there() -> None:
    for name in commands.MODULES:
        command = commands.load(name)
        assert command is not None and command.name == name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in commands.MODULES:
        assert f"  {name} " in result.output


def test_unknown_command_is_one_line_with_a_hint() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sealift.cli", "instal"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: No such command 'instal'. (see `sealift --help`)"
    ]


def test_site_commands_do_not_import_the_registry_client() -> None:
    code = (
        "import sys; from sealift.cli import commands; commands.load('import'); "
        "commands.load('install'); print('httpx' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_a_malformed_value_is_refused_before_anything_is_announced(tmp_path: Path) -> None:
    args = ["install", "shop:1.0.0", "--set", "no-equals-sign"]
    proc = subprocess.run(
        [sys.executable, "-m", "sealift.cli", "--home", str(tmp_path), *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "error: --set 'no-equals-sign' is not KEY=VALUE (for example public_port=8080)"
    ]
