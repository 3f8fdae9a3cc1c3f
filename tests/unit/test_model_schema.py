"""The JSON Schema accepts the shop and rejects what the model rejects; `sealift schema`."""

from __future__ import annotations

import json
import re
from typing import Any

from click.testing import CliRunner

from sealift.cli.model_cmd import commands, schema
from sealift.model.schema import json_schema
from sealift.yamltext import load_yaml
from tests.unit.test_model_shop import SHOP_YAML

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "null": type(None),
}


def violations(value: Any, node: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    """A small structural JSON Schema check: $ref, anyOf, type, enum/const, pattern,
    properties, required, additionalProperties, patternProperties, items, minimum."""
    if "$ref" in node:
        return violations(value, root["$defs"][node["$ref"].split("/")[-1]], root, at)
    if "anyOf" in node:
        if any(not violations(value, option, root, at) for option in node["anyOf"]):
            return []
        return [f"{at}: matches no option"]
    found = _scalar_violations(value, node, at)
    if isinstance(value, dict):
        found += _object_violations(value, node, root, at)
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            found += violations(item, node["items"], root, f"{at}[{index}]")
    return found


def _scalar_violations(value: Any, node: dict[str, Any], at: str) -> list[str]:
    kinds = node.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        ok = any(
            isinstance(value, _TYPES[k])
            and not (k in ("integer", "number") and isinstance(value, bool))
            for k in names
        )
        if not ok:
            return [f"{at}: not {kinds}"]
    if "const" in node and value != node["const"]:
        return [f"{at}: not {node['const']!r}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{at}: not one of {node['enum']}"]
    if "pattern" in node and isinstance(value, str) and not re.search(node["pattern"], value):
        return [f"{at}: does not match {node['pattern']}"]
    if "minimum" in node and isinstance(value, (int, float)) and value < node["minimum"]:
        return [f"{at}: below {node['minimum']}"]
    return []


def _object_violations(
    value: dict[str, Any], node: dict[str, Any], root: dict[str, Any], at: str
) -> list[str]:
    found = [f"{at}.{key}: required" for key in node.get("required", []) if key not in value]
    properties = node.get("properties", {})
    patterns = node.get("patternProperties", {})
    for key, item in value.items():
        if key in properties:
            found += violations(item, properties[key], root, f"{at}.{key}")
            continue
        matching = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
        for sub in matching:
            found += violations(item, sub, root, f"{at}.{key}")
        extra = node.get("additionalProperties")
        if not matching and extra is False:
            found.append(f"{at}.{key}: not allowed")
        elif not matching and isinstance(extra, dict):
            found += violations(item, extra, root, f"{at}.{key}")
    return found


def test_schema_is_2020_12_with_id_and_title() -> None:
    schema_doc = json_schema()
    assert schema_doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema_doc["$id"].startswith("https://")
    assert schema_doc["title"] == "sealift.yaml (sealift/v1)"
    assert schema_doc["required"] == ["schema", "name", "version", "components"]


def test_schema_accepts_the_shop() -> None:
    schema_doc = json_schema()
    assert violations(load_yaml(SHOP_YAML).data, schema_doc, schema_doc) == []


def test_schema_rejects_unknown_keys_bad_names_and_types() -> None:
    schema_doc = json_schema()
    data = load_yaml(SHOP_YAML).data
    data["components"]["web"]["imgae"] = "x"
    data["components"]["Bad_Name"] = {"image": "x:1"}
    data["components"]["api"]["ports"][0]["port"] = "http"
    data["version"] = "1.0"
    assert sorted(violations(data, schema_doc, schema_doc)) == [
        ".components.Bad_Name: not allowed",
        ".components.api.ports[0].port: not integer",
        ".components.web.imgae: not allowed",
        ".version: does not match " + schema_doc["properties"]["version"]["pattern"],
    ]


def test_schema_command_prints_the_schema_as_json() -> None:
    result = CliRunner().invoke(schema, [])
    assert result.exit_code == 0
    assert json.loads(result.output) == json_schema()
    assert result.output.startswith('{\n  "$schema"')
    assert commands == [schema]
