"""JSON Schema of `sealift.yaml`, for editors."""

from __future__ import annotations

from typing import Any

from sealift.model.app import AppModel

SCHEMA_URL = "https://sealift.dev/schema/sealift-v1.json"


def json_schema() -> dict[str, Any]:
    schema = AppModel.model_json_schema(by_alias=True, mode="validation")
    for named in ("parameters", "volumes", "components"):  # keys must match the name pattern
        schema["properties"][named]["additionalProperties"] = False
    for pattern, volume in schema["properties"]["volumes"]["patternProperties"].items():
        schema["properties"]["volumes"]["patternProperties"][pattern] = {
            "anyOf": [volume, {"type": "null"}]  # `data:` declares it with no options
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        **schema,
        "title": "sealift.yaml (sealift/v1)",
        "description": "An application model for sealift: components, parameters, and how "
        "they run. See docs/app-model.md.",
    }
