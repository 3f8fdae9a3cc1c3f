"""Hostile and surprising YAML given to the real `sealift` command: one line, exit 1, no
traceback, nothing done; and YAML 1.2 values kept as written through `sealift convert`."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from sealift.model.load import parse_model_text
from sealift.yamltext import load_yaml
from tests.conftest import sealift_command
from tests.unit.test_yamltext import WRITTEN, alias_bomb

MODEL_HEAD = "schema: sealift/v1\nname: app\nversion: 1.0.0\n"


def fails_in_one_line(home: Path, *args: str) -> str:
    """Run `sealift ARGS`; it must exit 1 with one `error:` line and no traceback."""
    result = subprocess.run(
        sealift_command(home, *args), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def seconds_to_fail(home: Path, *args: str) -> float:
    """The fastest of two runs (the machine may be busy)."""
    times = []
    for _ in range(2):
        start = time.monotonic()
        fails_in_one_line(home, *args)
        times.append(time.monotonic() - start)
    return min(times)


def sparse_file(path: Path, head: str, size: int) -> Path:
    with path.open("wb") as handle:
        handle.write(head.encode())
        handle.truncate(size)
    return path


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    return path


@pytest.mark.parametrize("command", ["publish", "convert"])
def test_an_alias_bomb_is_refused_within_a_second(
    command: str, bomb: Path, home: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: [1\n")  # refused at once: what the command costs without the bomb
    line = fails_in_one_line(home, command, str(bomb))
    assert "aliases expand to more than 100000 nodes" in line and "(line 6)" in line
    assert (
        seconds_to_fail(home, command, str(bomb)) - seconds_to_fail(home, command, str(plain)) < 1.0
    )


@pytest.mark.parametrize("command", ["publish", "convert"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 20_000 + "]" * 20_000, "nested deeper than 100 levels"),
        ("a: 1\nb: x\x00y\n", "control character U+0000 is not allowed in YAML"),
        ("a: 1\nb: x\x1by\n", "control character U+001B"),
    ],
)
def test_deep_nesting_and_control_characters_are_one_line(
    command: str, text: str, expected: str, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    line = fails_in_one_line(home, command, str(path))
    assert expected in line
    assert ("(line 2)" if "U+" in expected else "(line 1)") in line


def test_publish_refuses_a_50mb_model_before_any_work(home: Path, tmp_path: Path) -> None:
    model = sparse_file(tmp_path / "huge.yaml", MODEL_HEAD + "description: x\n#", 50 * 1024**2)
    start = time.monotonic()
    line = fails_in_one_line(home, "publish", str(model))
    assert time.monotonic() - start < 30
    assert line == (
        f"error: {model} is larger than 4.0 MiB, the most sealift reads for an app model; "
        "check that it is the right file"
    )
    blobs = home / "store" / "blobs"
    assert not blobs.exists() or not any(blobs.rglob("*"))  # no image was copied


def test_convert_refuses_an_input_over_16mib(home: Path, tmp_path: Path) -> None:
    compose = sparse_file(tmp_path / "compose.yaml", "services: {}\n#", 17 * 1024**2)
    line = fails_in_one_line(home, "convert", str(compose))
    assert "is larger than 16.0 MiB, the most sealift reads for a compose file" in line


def test_a_long_parameter_value_gets_a_clear_error(home: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("pin: " + "x" * 200_000 + "\n")
    line = fails_in_one_line(home, "install", "app:1.0.0", "--values", str(values))
    assert line == (
        "error: the value of parameter 'pin' is 195 KiB long; a parameter value may be at most "
        "64 KiB (carry large content as a config file of the app)"
    )
    line = fails_in_one_line(home, "upgrade", "app", "1.0.1", "--set", "pin=" + "y" * 100_000)
    assert "the value of parameter 'pin' is 97 KiB long" in line
    assert "yyyy" not in line  # the value itself (perhaps a secret) is never shown


def test_a_hostile_values_file_is_one_line(home: Path, bomb: Path, tmp_path: Path) -> None:
    line = fails_in_one_line(home, "install", "app:1.0.0", "--values", str(bomb))
    assert f"values file {bomb} is not valid YAML: aliases expand" in line
    twice = tmp_path / "twice.yaml"
    twice.write_text("port: 1\nport: 2\n")
    line = fails_in_one_line(home, "install", "app:1.0.0", "--values", str(twice))
    assert line.endswith("gives 'port' twice (line 2); keep only one")


def test_convert_keeps_yaml_1_2_values_as_written(home: Path, tmp_path: Path) -> None:
    environment = "".join(f"      V{i}: {value}\n" for i, value in enumerate(WRITTEN))
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  web:\n    image: example.com/web:1\n"
        f"    command: [serve, {', '.join(WRITTEN)}]\n"
        f"    environment:\n{environment}"
        "    labels:\n      x.umask: 0022\n      x.cron: 12:30\n"
    )
    result = subprocess.run(
        sealift_command(home, "convert", str(compose)), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    web = parse_model_text(result.stdout).components["web"]
    assert web.command == ["serve", *WRITTEN]
    assert [web.env[f"V{i}"] for i in range(len(WRITTEN))] == WRITTEN
    assert (web.labels["x.umask"], web.labels["x.cron"]) == ("0022", "12:30")
    written = load_yaml(result.stdout).data["components"]["web"]["env"]
    assert all(isinstance(value, str) for value in written.values())  # quoted in the output


def test_convert_refuses_an_env_file_outside_the_project(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "deep" / "down" / "project"
    project.mkdir(parents=True)
    escape = "../" * (len(project.parts) + 2) + "etc/passwd"
    (project / "compose.yaml").write_text(
        f"services:\n  web:\n    image: example.com/web:1\n    env_file: {escape}\n"
    )
    line = fails_in_one_line(home, "convert", str(project / "compose.yaml"))
    assert line.startswith("error: /etc/passwd is outside the project directory")


def test_convert_refuses_a_link_out_of_the_project(home: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("TOKEN=hunter2\n")
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(tmp_path / "secret.txt", project / "app.env")
    (project / "compose.yaml").write_text(
        "services:\n  web:\n    image: example.com/web:1\n    env_file: app.env\n"
    )
    line = fails_in_one_line(home, "convert", str(project / "compose.yaml"))
    assert f"{project / 'app.env'} is outside the project directory" in line
    assert "hunter2" not in line


def test_convert_never_embeds_host_files_named_by_mounts_or_configs(
    home: Path, tmp_path: Path
) -> None:
    project = tmp_path / "a" / "b"
    project.mkdir(parents=True)
    escape = "../" * (len(project.parts) + 2) + "etc/passwd"
    (project / "compose.yaml").write_text(
        "services:\n  web:\n    image: example.com/web:1\n"
        f"    volumes: ['{escape}:/etc/x']\n"
        "    configs: [{source: c, target: /etc/c}]\n"
        f"configs:\n  c:\n    file: {escape}\n"
    )
    result = subprocess.run(
        sealift_command(home, "convert", str(project / "compose.yaml")),
        capture_output=True,
        text=True,
    )
    assert "root:" not in result.stdout + result.stderr  # /etc/passwd's first line
    assert result.returncode == 1 or result.stderr.count("/etc/passwd") >= 2, result.stderr
