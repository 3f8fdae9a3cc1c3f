"""`sealift convert FILE... [-o sealift.yaml] [--name NAME]`: compose or k8s -> app model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

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
from sealift.files import atomic_write
from sealift.model.load import parse_model_data

MAX_FILE = 1024 * 1024
"""Bind-mounted files larger than this are not carried as configs."""

TOP_ORDER = ("schema", "name", "version", "description", "parameters", "components")


@click.command("convert")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the app model here (default: standard output).",
)
@click.option("--name", help="Name of the app (default: the file's `name:` or its directory).")
def convert(files: tuple[Path, ...], output: Path | None, name: str | None) -> None:
    """Convert compose file(s) or Kubernetes manifests to an app model (sealift.yaml)."""
    result = convert_files(list(files), name)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    text = dump_model(result.model)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {output}", err=True)


commands = [convert]


def convert_files(files: list[Path], name: str | None = None) -> ConversionResult:
    """Read `files` (and what they reference), convert them, and check that the result is valid."""
    inp = ConvertInput(
        sources=tuple(_source(path) for path in files),
        name=name,
        directory_name=files[0].absolute().parent.name,
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
    return yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def write_atomically(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def _source(path: Path) -> SourceFile:
    try:
        return SourceFile(str(path.absolute()), path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConvertError(f"cannot read {path}: {_reason(exc)}; check the path") from None


def _with_referenced_files(inp: ConvertInput) -> ConvertInput:
    files: dict[str, str] = {}
    directories: set[str] = set()
    unreadable: dict[str, str] = {}
    dotenv = Path(dotenv_path(inp))
    if dotenv.is_file():
        files[str(dotenv)] = _small_text(dotenv)
    inp = ConvertInput(inp.sources, files, frozenset(), {}, inp.name, inp.directory_name)
    for text_path in referenced_paths(inp):
        path = Path(text_path)
        if path.is_dir():
            directories.add(text_path)
        elif path.is_file():
            try:
                files[text_path] = _small_text(path)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                unreadable[text_path] = _reason(exc)
    return ConvertInput(
        inp.sources, files, frozenset(directories), unreadable, inp.name, inp.directory_name
    )


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


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (config contents) as readable `|` blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value.strip() and not _has_trailing_spaces(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _has_trailing_spaces(value: str) -> bool:
    return any(line != line.rstrip() for line in value.splitlines())


_Dumper.add_representer(str, _represent_str)
