"""`.env` and `env_file` texts: `KEY=value` lines, comments, `export`, quotes."""

from __future__ import annotations

import re

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=(.*))?$")


def parse_env_text(text: str) -> dict[str, str | None]:
    """Variables of an env file in order; `KEY` alone (no `=`) maps to None."""
    values: dict[str, str | None] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        values[key] = None if value is None else _unquote(value.strip())
    return values


def defined(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    return re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
