"""YAML texts to Python data, with errors that name the file."""

from __future__ import annotations

from typing import Any

from sealift.convert.inputs import SourceFile
from sealift.errors import ConvertError, YamlError
from sealift.yamltext import load_all


def load_documents(source: SourceFile) -> list[Any]:
    """Every non-empty document of a (multi-document) YAML file, read as YAML 1.2 like
    Compose does (`on` and `0022` stay as written); a key given twice is refused, as Compose
    refuses it."""
    try:
        documents = load_all(source.text)
    except YamlError as exc:
        raise _not_valid(source, exc.problem, exc.line) from None
    for document in documents:
        for path in document.duplicates:
            problem = f"duplicate key '{path[-1]}' (keep only one)"
            raise _not_valid(source, problem, document.lines[path])
    return [document.data for document in documents if document.data is not None]


def _not_valid(source: SourceFile, problem: str, line: int | None) -> ConvertError:
    where = f" (line {line})" if line is not None else ""
    return ConvertError(
        f"{source.name}: not valid YAML{where}: {problem}; fix the file and run convert again"
    )


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
    if isinstance(value, (dict, list)) or value is None:
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
