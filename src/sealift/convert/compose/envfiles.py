"""`.env` and `env_file` texts: `KEY=value` lines, comments, `export`, quotes, and the
compose environment made of the shell's variables over `--env-file` files (or `.env`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sealift.convert.compose.interpolate import interpolate

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=(.*))?$")


def parse_env_text(
    text: str,
    lookup: Mapping[str, str] | None = None,
    where: str = "",
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """Variables of an env file in order; `KEY` alone (no `=`) maps to None.

    With `lookup`, values not in single quotes are interpolated (as Compose does for `.env`):
    a name is looked up in `lookup` (the shell), then the earlier lines, then `inherited`.
    """
    values: dict[str, str | None] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        if value is None:
            values[key] = None
        elif lookup is None or value.strip().startswith("'"):
            values[key] = _unquote(value.strip())
        else:
            known = {**(inherited or {}), **defined(values), **lookup}
            values[key] = interpolate(_unquote(value.strip()), known, f"{where}: {key}")
    return values


def defined(values: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def compose_environment(files: list[tuple[str, str]], shell: Mapping[str, str]) -> dict[str, str]:
    """The variables compose files see: `shell` over the env `files` (name, text) in order.

    A later file overrides an earlier one; each value may use the variables before it.
    """
    values: dict[str, str] = {}
    for name, text in files:
        values.update(defined(parse_env_text(text, shell, name, values)))
    return {**values, **shell}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    return re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
