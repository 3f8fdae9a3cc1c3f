"""Small text formats every layer shares, each defined once: canonical JSON, semantic
versions, UTC timestamps. Pure (no I/O), so model/ and convert/ may use it too."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Union

__all__ = ["MASK", "SEMVER_PATTERN", "canonical_json", "is_semver", "semver_key", "utc_timestamp"]

MASK = "***"
"""What is shown instead of a secret value."""


def canonical_json(doc: Any, *, ascii_only: bool = False) -> bytes:
    """`doc` as canonical bytes: keys sorted, no spaces, UTF-8. The same document always
    gives the same bytes, hence the same digest.

    `ascii_only` escapes every non-ASCII character (`\\u00e9`): the bundle's own documents
    (sealift-bundle.json, its signature, the inventory) and the spec hashes recorded on
    running containers were defined that way, and must keep their bytes.
    """
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode()


SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
"""Semantic Versioning 2.0.0 (semver.org): MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]."""

_SEMVER = re.compile(SEMVER_PATTERN)

SemverKey = tuple[int, int, int, int, tuple[tuple[int, Union[int, str]], ...]]


def is_semver(text: str) -> bool:
    return _SEMVER.match(text) is not None


def semver_key(version: str) -> SemverKey:
    """Sort key in semver precedence: 1.0.0-rc.1 < 1.0.0 < 1.0.1 < 1.10.0; a text that is
    not a version sorts first, by its text."""
    m = _SEMVER.match(version)
    if not m:
        return (0, 0, 0, 0, ((1, version),))
    pre = m.group(4)
    pre_key = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pre_key)


def utc_timestamp(moment: datetime | None = None) -> str:
    """`moment` (default now) as RFC 3339 UTC to the second: 2025-01-31T12:00:00Z."""
    utc = timezone.utc
    return (moment or datetime.now(utc)).astimezone(utc).strftime("%Y-%m-%dT%H:%M:%SZ")
