"""Parse JSON that came from outside (a bundle, an inventory) with hard limits.

Size is checked before parsing and nesting depth is counted on the raw bytes, so a
hostile file cannot exhaust memory or the recursion limit.
"""

from __future__ import annotations

import json
from typing import Any

from sealift.errors import BundleError

MAX_DEPTH = 32


def load(data: bytes, what: str, *, max_size: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `data` (named `what` in errors) or raise BundleError."""
    if len(data) > max_size:
        raise BundleError(f"{what} is larger than {max_size} bytes: refusing to read it")
    if nesting_depth(data) > max_depth:
        raise BundleError(f"{what} is nested deeper than {max_depth} levels: refusing to read it")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"{what} is not valid JSON: {exc}") from None


def load_object(data: bytes, what: str, *, max_size: int) -> dict[str, Any]:
    doc = load(data, what, max_size=max_size)
    if not isinstance(doc, dict):
        raise BundleError(f"{what} is not a JSON object")
    return doc


def nesting_depth(data: bytes) -> int:
    """Deepest nesting of [ and { outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
