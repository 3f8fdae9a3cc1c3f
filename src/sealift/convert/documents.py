"""YAML texts to Python data, with errors that name the file."""

from __future__ import annotations

from typing import Any

import yaml

from sealift.convert.inputs import SourceFile
from sealift.errors import ConvertError


def load_documents(source: SourceFile) -> list[Any]:
    """Every non-empty document of a (multi-document) YAML file."""
    try:
        return [doc for doc in yaml.safe_load_all(source.text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConvertError(
            f"{source.name}: not valid YAML{line}: {problem}; fix the file and run convert again"
        ) from None


def is_kubernetes(documents: list[Any]) -> bool:
    """Kubernetes manifests are mappings with `apiVersion` and `kind`."""
    return any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in documents)


def expect_map(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConvertError(f"{where}: expected a mapping, found {_kind(value)}; fix the file")
    return {str(k): v for k, v in value.items()}


def expect_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConvertError(f"{where}: expected a list, found {_kind(value)}; fix the file")
    return value


def expect_scalar(value: Any, where: str) -> str:
    if isinstance(value, dict | list) or value is None:
        raise ConvertError(f"{where}: expected a value, found {_kind(value)}; fix the file")
    return scalar_text(value)


def scalar_text(value: Any) -> str:
    """YAML scalars as the strings a user meant: `true` -> "true", 8080 -> "8080"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"the value {value!r}"


def unexpected_shape(source: str, where: str, exc: Exception) -> ConvertError:
    """A value of a type the converter did not expect, reported instead of a traceback."""
    detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
    return ConvertError(
        f"{source}: {where}: unexpected value ({detail}); check it against the "
        "Compose Specification or the Kubernetes API and run convert again"
    )
