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


def pieces(text: str) -> list[tuple[str, bool]]:
    """`text` split into (literal, False) and (parameter name, True) parts, in order, with
    `$${` read as a literal `${`; ValueError for a malformed `${`."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        literal = text[position : match.start()]
        position = match.end()
        if match.group(0) == "$${":
            parts.append((literal + "${", False))
        elif match.group(1) is None:
            raise ValueError("malformed '${'")
        else:
            parts += [(literal, False), (match.group(1), True)]
    parts.append((text[position:], False))
    return _joined(parts)


def _joined(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Adjacent literals merged, empty ones dropped."""
    out: list[tuple[str, bool]] = []
    for value, is_name in parts:
        if not is_name and out and not out[-1][1]:
            out[-1] = (out[-1][0] + value, False)
        elif is_name or value:
            out.append((value, is_name))
    return [(v, n) for v, n in out if n or v]
