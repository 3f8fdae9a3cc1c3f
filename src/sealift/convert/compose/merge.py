"""Several compose files (`-f a.yaml -f b.yaml`) merged by the Compose Specification's rules.

Later files override scalars and merge mappings; `ports` and `expose` are concatenated;
`volumes` merge by mount target, `configs`/`secrets` by source; `command`, `entrypoint` and
`healthcheck.test` are replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sealift.convert.compose.shapes import normalize_service
from sealift.convert.documents import expect_map, scalar_text

_TOP_LEVEL_MAPS = ("services", "volumes", "networks", "configs", "secrets")
_REPLACED = ("command", "entrypoint")


def merge_files(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The merged project of `(file name, document)` pairs, in the order given."""
    merged: dict[str, Any] = {}
    for name, document in documents:
        merged = _merge_file(merged, _normalized(name, document))
    return merged


def _normalized(name: str, document: dict[str, Any]) -> dict[str, Any]:
    result = dict(document)
    for key in _TOP_LEVEL_MAPS:
        if key in result:
            result[key] = expect_map(result[key], f"{name}: {key}")
    result["services"] = {
        service: normalize_service(body, f"{name}: services.{service}")
        for service, body in result.get("services", {}).items()
    }
    return result


def _merge_file(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if key == "services":
            services = dict(result.get("services", {}))
            for name, service in value.items():
                services[name] = merge_service(services.get(name, {}), service)
            result["services"] = services
        elif key in _TOP_LEVEL_MAPS:
            result[key] = deep_merge(result.get(key) or {}, value)
        else:
            result[key] = value
    return result


def merge_service(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in over.items():
        if key in result and key in _SEQUENCE_RULES:
            result[key] = _SEQUENCE_RULES[key](result[key], value)
        elif key in result and key not in _REPLACED:
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; anything else is replaced by the later value."""
    if isinstance(base, dict) and isinstance(over, dict):
        result = dict(base)
        for key, value in over.items():
            result[key] = deep_merge(result[key], value) if key in result else value
        return result
    return over


def _concat_unique(base: Any, over: Any) -> list[Any]:
    result = list(base if isinstance(base, list) else [base])
    for item in over if isinstance(over, list) else [over]:
        if item not in result:
            result.append(item)
    return result


def _merge_by(key_of: Callable[[Any], str]) -> Callable[[Any, Any], list[Any]]:
    def merge(base: Any, over: Any) -> list[Any]:
        entries = {key_of(item): item for item in base}
        for item in over:
            entries[key_of(item)] = item
        return list(entries.values())

    return merge


def _mount_target(item: Any) -> str:
    if isinstance(item, dict):
        return scalar_text(item.get("target", ""))
    parts = scalar_text(item).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _reference_source(item: Any) -> str:
    return scalar_text(item.get("source", "")) if isinstance(item, dict) else scalar_text(item)


_SEQUENCE_RULES: dict[str, Callable[[Any, Any], Any]] = {
    "ports": _concat_unique,
    "expose": _concat_unique,
    "env_file": _concat_unique,
    "dns": _concat_unique,
    "cap_add": _concat_unique,
    "cap_drop": _concat_unique,
    "volumes": _merge_by(_mount_target),
    "configs": _merge_by(_reference_source),
    "secrets": _merge_by(_reference_source),
}
