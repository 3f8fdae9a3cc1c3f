"""The normalized model: what publish stores as the config blob, and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sealift import formats
from sealift.errors import ModelError
from sealift.model.app import AppModel
from sealift.model.load import parse_model_data


def to_json(model: AppModel) -> dict[str, Any]:
    """Plain JSON data: defaults filled in, None left out, durations and sizes as text."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def canonical_json(model: AppModel) -> bytes:
    """`to_json` as canonical bytes (sorted keys, no spaces): the same model, the same digest."""
    return formats.canonical_json(to_json(model))


def from_json(data: object, source: str = "normalized model", rendered: bool = False) -> AppModel:
    """Validate normalized data back into a model; `rendered` for a model whose parameters
    are substituted (its texts may hold a literal `${`)."""
    return parse_model_data(data, source, rendered=rendered)


def with_images(model: AppModel, images: Mapping[str, str]) -> AppModel:
    """The model with the image of each named component replaced (publish pins digests)."""
    unknown = sorted(set(images) - set(model.components))
    if unknown:
        raise ModelError(
            [f"components.{name}: no component named '{name}'" for name in unknown], model.name
        )
    data = to_json(model)
    for name, image in images.items():
        data["components"][name]["image"] = image
    return from_json(data, f"{model.name} with pinned images")
