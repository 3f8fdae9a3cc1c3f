"""Problems found in an app model: a path into the document, a message, and its line."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Path = tuple[Union[str, int], ...]
# `X | Y` is types.UnionType from Python 3.10 on; on 3.9 it is evaluated to typing.Union
_UNIONS: tuple[Any, ...] = (typing.Union, getattr(types, "UnionType", typing.Union))
Lines = Mapping[Path, int]
Problem = tuple[Path, str]

_NOT_A_MAPPING = "the file should be a mapping with schema, name, version and components"


def path_text(path: Path) -> str:
    """`("components", "api", "depends_on", 0)` -> `components.api.depends_on[0]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def line_of(path: Path, lines: Lines) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def render(problems: Iterable[Problem], lines: Lines) -> list[str]:
    """Every problem as `path: message (line N)`, in file order, without repeats."""
    placed = [(line_of(path, lines), path_text(path), message) for path, message in problems]
    placed.sort(key=lambda item: item[0] if item[0] is not None else 1 << 30)
    texts: list[str] = []
    for line, where, message in placed:
        text = f"{where}: {message}" if where else message
        text += f" (line {line})" if line is not None else ""
        if text not in texts:
            texts.append(text)
    return texts


def from_validation_error(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    return [_from_detail(detail, root) for detail in error.errors(include_url=False)]


def _from_detail(detail: ErrorDetails, root: type[BaseModel]) -> Problem:
    path: Path = tuple(part for part in detail["loc"] if part != "[key]")
    kind = detail["type"]
    if kind == "missing":
        return path, "required field is missing"
    if kind == "extra_forbidden":
        return path, _unknown_key(path, root)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return path, "should be a mapping" if path else _NOT_A_MAPPING
    message = detail["msg"].removeprefix("Value error, ").replace("Input should be", "should be")
    return path, message


def _unknown_key(path: Path, root: type[BaseModel]) -> str:
    key = str(path[-1])
    message = f"unknown key '{key}'"
    owner = _model_at(path[:-1], root)
    if owner is not None:
        known = [field.alias or name for name, field in owner.model_fields.items()]
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return message


def _model_at(path: Path, root: type[BaseModel]) -> type[BaseModel] | None:
    """Which model class the mapping at `path` is validated as, following field types."""
    current: Any = root
    for part in path:
        current = _step(current, part)
        if current is None:
            return None
    return current if _is_model(current) else None


def _step(current: Any, part: str | int) -> Any:
    if _is_model(current):
        fields = {field.alias or name: field for name, field in current.model_fields.items()}
        field = fields.get(str(part))
        return None if field is None else _unwrap(field.annotation)
    origin = typing.get_origin(current)
    if origin is list and isinstance(part, int):
        return _unwrap(typing.get_args(current)[0])
    if origin is dict:
        return _unwrap(typing.get_args(current)[1])
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional to the type that holds the data."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in _UNIONS:
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0]
        else:
            return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)
