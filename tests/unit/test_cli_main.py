"""The CLI's own contract: every command is reachable, errors are one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sealift.cli import commands
from sealift.cli.main import cli, main


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


def test_suggested_commands_name_the_runtime_when_it_runs_sealift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Started as `python3 /media/usb/sealift.pyz`, an error suggests that, not `sealift`."""
    monkeypatch.setattr(sys, "argv", ["/media/usb/sealift.pyz"])
    with pytest.raises(SystemExit):
        main(["--home", str(tmp_path), "rollback", "nosuch"])
    said = capsys.readouterr().err
    assert "`python3 /media/usb/sealift.pyz status`" in said, said
    assert "`sealift " not in said


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


def test_every_command_has_a_summary_for_the_help_listing() -> None:
    assert sorted(commands.SUMMARIES) == sorted(commands.MODULES)


@pytest.mark.parametrize("limit", [20, 45, 74, 200])
def test_help_listing_shows_what_each_command_itself_would(limit: int) -> None:
    for name in commands.MODULES:
        command = commands.load(name)
        assert command is not None
        assert commands.short_help(name, limit) == command.get_short_help_str(limit)


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\nfrom sealift.cli.main import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.endswith('_cmd') or m in HEAVY))"
    )
    heavy = "HEAVY = {'docker', 'pydantic', 'httpx', 'rich', 'cryptography', 'sqlite3', 'yaml'}\n"
    proc = subprocess.run(
        [sys.executable, "-c", heavy + code], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


HEAVY = ("docker", "pydantic", "httpx", "rich", "cryptography")


@pytest.mark.parametrize(
    "args",
    [["market", "list", "--json"], ["status", "--json"], ["history", "nothing", "--json"]],
)
def test_read_only_commands_import_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    """Start-up time: a read-only command on a home with nothing in it (status then needs
    no engine) loads none of these (bench/cli.py measures the time)."""
    code = (
        "import sys\nfrom sealift.cli.main import main\ntry:\n"
        f"    main(['--home', {str(tmp_path)!r}, *{args!r}])\n"
        "except SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
