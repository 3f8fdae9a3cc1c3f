"""`${name}` references in strings: find them, check them, substitute them (`$${` is `${`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{")


def references(text: str) -> list[str]:
    """The parameter names `text` refers to, in order; ValueError for a malformed `${`."""
    names: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token == "$${":
            continue
        if match.group(1) is None:
            raise ValueError(
                "malformed '${': write ${name} with a parameter name, or $${ for a literal ${"
            )
        names.append(match.group(1))
    return names


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every `${name}` by its value and `$${` by `${`; KeyError for an unknown name."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(1) is None:
            raise ValueError("malformed '${'")
        return values[match.group(1)]

    return _TOKEN.sub(replace, text)
