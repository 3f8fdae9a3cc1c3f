"""`sealift convert FILE... [-o sealift.yaml] [--name NAME]`: compose or k8s -> app model."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from sealift.convert import (
    ConversionResult,
    ConvertInput,
    SourceFile,
    convert_compose,
    convert_kubernetes,
    detect_format,
    dotenv_path,
    referenced_paths,
)
from sealift.errors import ConvertError
from sealift.files import INPUT_LIMIT, atomic_write, read_text_limited
from sealift.model.load import parse_model_data
from sealift.yamltext import dump_yaml

MAX_FILE = 1024 * 1024
"""Bind-mounted files larger than this are not carried as configs."""

TOP_ORDER = ("schema", "name", "version", "description", "parameters", "volumes", "components")


@click.command("convert")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the app model here (default: standard output).",
)
@click.option("--name", help="Name of the app (default: the file's `name:` or its directory).")
@click.option(
    "--env-file",
    "env_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Compose variables from this file instead of .env (repeatable; later files win).",
)
def convert(
    files: tuple[Path, ...], output: Path | None, name: str | None, env_files: tuple[Path, ...]
) -> None:
    """Convert compose file(s) or Kubernetes manifests to an app model (sealift.yaml).

    Compose variables come from the shell, then the --env-file files (or the project's .env).
    """
    result = convert_files(list(files), name, list(env_files), dict(os.environ))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    text = dump_model(result.model)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {output}", err=True)


commands = [convert]


def convert_files(
    files: list[Path],
    name: str | None = None,
    env_files: list[Path] | None = None,
    environment: dict[str, str] | None = None,
) -> ConversionResult:
    """Read `files` (and what they reference), convert them, and check that the result is valid.

    `environment` (the shell's variables for compose files) is empty unless given.
    """
    env_paths = [str(path.absolute()) for path in env_files or []]
    inp = ConvertInput(
        sources=tuple(_source(path) for path in files),
        name=name,
        directory_name=files[0].absolute().parent.name,
        environment=environment or {},
        env_files=tuple(env_paths),
    )
    if detect_format(inp) == "kubernetes":
        result = convert_kubernetes(inp)
    else:
        inp = _with_referenced_files(inp)
        result = convert_compose(inp)
    parse_model_data(result.model, source="converted app model")
    return result


def dump_model(model: dict[str, Any]) -> str:
    ordered = {key: model[key] for key in TOP_ORDER if key in model}
    ordered.update({k: v for k, v in model.items() if k not in ordered})
    return dump_yaml(ordered)


def write_atomically(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def _source(path: Path) -> SourceFile:
    try:
        text = read_text_limited(path, INPUT_LIMIT, "a compose file or manifest")
        return SourceFile(str(path.absolute()), text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConvertError(f"cannot read {path}: {_reason(exc)}; check the path") from None


_MAX_ROUNDS = 32
"""Included and extended files may name further files: read until nothing new is named."""


def _with_referenced_files(inp: ConvertInput) -> ConvertInput:
    files: dict[str, str] = {}
    directories: set[str] = set()
    unreadable: dict[str, str] = {}
    for path in inp.env_files:
        files[path] = _env_text(Path(path))
    roots = _project_roots(inp)
    dotenv = Path(dotenv_path(inp))
    if not inp.env_files and dotenv.is_file():
        _check_inside(str(dotenv), roots)
        files[str(dotenv)] = _small_text(dotenv)
    asked: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        current = replace(inp, files=files, directories=frozenset(directories))
        new = [path for path in referenced_paths(current) if path not in asked]
        if not new:
            break
        asked.update(new)
        for text_path in new:
            _check_inside(text_path, roots)
            _read_referenced(Path(text_path), files, directories, unreadable)
    return replace(inp, files=files, directories=frozenset(directories), unreadable=unreadable)


def _project_roots(inp: ConvertInput) -> list[Path]:
    """Where convert may read: the directories of the files named on the command line,
    and the --env-file files (symbolic links resolved)."""
    named = [Path(source.path).parent for source in inp.sources]
    return [path.resolve() for path in (*named, *map(Path, inp.env_files))]


def _check_inside(text_path: str, roots: list[Path]) -> None:
    """Refuse a file named by a path that leaves the project (`../../etc/passwd`), or by a
    link that points out of it: its content would travel inside the app model."""
    path = Path(text_path)
    if not path.exists() and not path.is_symlink():
        return
    resolved = path.resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise ConvertError(
            f"{text_path} is outside the project directory {roots[0]}; sealift does not read "
            "files of this machine outside it: copy the file into the project and refer to it there"
        )


def _read_referenced(
    path: Path, files: dict[str, str], directories: set[str], unreadable: dict[str, str]
) -> None:
    if path.is_dir():
        directories.add(str(path))
    elif path.is_file():
        try:
            files[str(path)] = _small_text(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            unreadable[str(path)] = _reason(exc)


def _env_text(path: Path) -> str:
    try:
        return _small_text(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConvertError(f"--env-file {path}: {_reason(exc)}; check the path") from None


def _small_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE:
        raise ValueError(f"it is larger than {MAX_FILE // 1024} KiB")
    return path.read_text(encoding="utf-8")


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
