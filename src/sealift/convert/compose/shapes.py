"""One shape per service field, so that merging and converting see the same thing."""

from __future__ import annotations

from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.errors import ConvertError


def key_values(value: Any, where: str) -> dict[str, str | None]:
    """`environment`/`labels` as a list (`KEY=v`, `KEY`) or a mapping -> mapping."""
    if isinstance(value, list):
        pairs: dict[str, str | None] = {}
        for item in value:
            key, sep, rest = scalar_text(item).partition("=")
            pairs[key.strip()] = rest if sep else None
        return pairs
    return {k: None if v is None else scalar_text(v) for k, v in expect_map(value, where).items()}


def dependencies(value: Any, where: str) -> dict[str, dict[str, Any]]:
    """`depends_on` as a list of names or a mapping with conditions -> mapping."""
    if isinstance(value, list):
        return {scalar_text(name): {"condition": "service_started"} for name in value}
    return {k: expect_map(v, f"{where}.{k}") for k, v in expect_map(value, where).items()}


def string_list(value: Any, where: str) -> list[str]:
    """A string or a list of strings -> list (`profiles`, `expose`)."""
    if isinstance(value, (str, int)):
        return [scalar_text(value)]
    return [scalar_text(v) for v in expect_list(value, where)]


def normalize_service(service: Any, where: str) -> dict[str, Any]:
    """The mapping of one service with list-or-map fields turned into mappings."""
    result = expect_map(service, where)
    for key in ("environment", "labels"):
        if key in result:
            result[key] = key_values(result[key], f"{where}.{key}")
    if "depends_on" in result:
        result["depends_on"] = dependencies(result["depends_on"], f"{where}.depends_on")
    for key in ("ports", "volumes", "configs", "secrets", "expose"):
        if key in result and not isinstance(result[key], list):
            raise ConvertError(f"{where}.{key}: expected a list; fix the compose file")
    return result
