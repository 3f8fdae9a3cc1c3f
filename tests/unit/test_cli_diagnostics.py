"""What a user sees when something fails: one line, or with --debug the causes and a log;
several model problems one per line; an engine that does not run named in a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sealift.cli.debug import cause_chain
from sealift.cli.main import take_debug
from sealift.errors import BundleError, EngineError, ModelError

MODEL = """schema: sealift/v1
name: diag
version: 1.0.0
components:
  web: {image: "diag-web:1"}
"""


def sealift(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sealift.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SEALIFT_DEBUG": "", **env},
        timeout=60,
    )


def diagnostics(stderr: str) -> list[str]:
    """stderr without the progress lines (`==> ...` and their indented notes)."""
    return [line for line in stderr.splitlines() if not line.startswith(("==> ", "    "))]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "sealift.yaml"
    path.write_text(MODEL)
    return path


def dead_engine(tmp_path: Path) -> dict[str, str]:
    return {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}


def test_engine_not_running_is_one_sentence(tmp_path: Path, model: Path) -> None:
    result = sealift(tmp_path, "publish", str(model), "--source", "engine", **dead_engine(tmp_path))
    assert result.returncode == 1
    assert diagnostics(result.stderr) == [
        f"error: component web: the Docker engine is not reachable at unix://{tmp_path}/"
        "no-engine.sock (no such socket): start dockerd, or point DOCKER_HOST at a running engine"
    ]


@pytest.mark.parametrize(
    ("where", "env"),
    [("before", {}), ("after", {}), ("env", {"SEALIFT_DEBUG": "1"})],
)
def test_debug_shows_the_causes_and_a_log(
    tmp_path: Path, model: Path, where: str, env: dict[str, str]
) -> None:
    args = ["publish", str(model), "--source", "engine"]
    if where == "before":
        args.insert(0, "--debug")
    elif where == "after":
        args.append("--debug")
    result = sealift(tmp_path, *args, **dead_engine(tmp_path), **env)
    assert result.returncode == 1
    lines = diagnostics(result.stderr)
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and "not reachable" in errors[0]
    causes = lines[lines.index(errors[0]) + 1 :]
    assert causes and all(line.startswith("  caused by ") for line in causes)
    assert (
        causes[-1] == "  caused by builtins.FileNotFoundError: [Errno 2] No such file or directory"
    )
    logged = [line for line in lines if line.startswith("debug: ")]
    assert any("sealift.market.publish: publishing diag:1.0.0" in line for line in logged)
    assert any("sealift.oci.engine: connecting to the Docker engine" in line for line in logged)
    assert "Traceback" not in result.stderr


def test_several_model_problems_one_per_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MODEL.replace("name: diag", "name: Diag_").replace("1.0.0", "1.0") + "  x: 1\n")
    result = sealift(tmp_path, "publish", str(bad))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {bad}: 3 problems:"
    assert [line.split(":")[0] for line in lines[1:]] == ["  name", "  version", "  components.x"]
    assert "(line 2)" in lines[1] and "(line 6)" in lines[3]


def test_one_model_problem_stays_one_line() -> None:
    error = ModelError(["name: bad (line 2)"])
    assert error.message == "sealift.yaml: 1 problem: name: bad (line 2)"


def test_a_prefixed_model_error_keeps_its_prefix_and_lines() -> None:
    error = ModelError(["a: x", "b: y"], "m.yaml").prefixed("component c: ")
    assert error.message.splitlines() == ["component c: m.yaml: 2 problems:", "  a: x", "  b: y"]


def test_debug_flag_is_taken_wherever_it_is_but_not_after_a_double_dash() -> None:
    args = ["install", "--debug", "shop:1.0.0", "--", "--debug"]
    assert take_debug(args) is True
    assert args == ["install", "shop:1.0.0", "--", "--debug"]
    plain = ["status"]
    assert take_debug(plain) is (os.environ.get("SEALIFT_DEBUG", "") not in ("", "0"))


def _engine_error() -> tuple[EngineError, ConnectionError]:
    try:
        try:
            raise FileNotFoundError(2, "No such file or directory")
        except OSError:
            raise ConnectionError("aborted")  # noqa: B904 - a __context__, not a __cause__
    except ConnectionError as exc:
        return EngineError("the Docker engine is not reachable").with_traceback(None), exc


def test_cause_chain_skips_rewordings_and_follows_context() -> None:
    engine, transport = _engine_error()
    engine.__cause__ = transport
    outer = engine.prefixed("component web: ")
    outer.__cause__ = engine  # publish re-raises the prefixed copy `from` the original
    assert cause_chain(outer) == [
        "  caused by builtins.ConnectionError: aborted",
        "  caused by builtins.FileNotFoundError: [Errno 2] No such file or directory",
    ]


def test_corrupt_and_unsafe_bundles_say_what_to_do() -> None:
    assert BundleError.corrupt("x").message.endswith("ask its vendor to export it again")
    assert "do not use it" in BundleError.unsafe("x").message
    assert "`sealift export` wrote" in BundleError.not_a_bundle("f.tar", "empty").message


@pytest.mark.parametrize("size", [0, 100, 511])
def test_a_small_file_is_not_a_sealift_bundle(tmp_path: Path, size: int) -> None:
    small = tmp_path / "notes.txt"
    small.write_bytes(b"x" * size)
    result = sealift(tmp_path / "home", "import", str(small))
    assert result.returncode == 1
    assert diagnostics(result.stderr) == [
        "error: notes.txt is not a sealift bundle (shorter than one tar block); give the file "
        "that `sealift export` wrote (of a split bundle, its first part FILE.part001)"
    ]
