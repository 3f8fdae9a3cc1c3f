"""Compose `healthcheck` -> `health`: CMD, CMD-SHELL, NONE; a curl/wget of localhost -> http."""

from __future__ import annotations

import re
import shlex
from typing import Any

from sealift.convert.compose.context import ComposeContext
from sealift.convert.documents import expect_map, scalar_text
from sealift.convert.units import duration

_LOCAL_URL = re.compile(
    r"^https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(?P<port>\d+))?(?P<path>/\S*)?$"
)
_SHELL_TAIL = ({"||", "exit", "1"}, {"||", "false"})
_DURATIONS = ("interval", "timeout", "start_period")
MAPPED_KEYS = {"test", "disable", *_DURATIONS, "retries"}


def convert_healthcheck(value: Any, ctx: ComposeContext, where: str) -> dict[str, Any] | None:
    check = ctx.interp.resolve_tree(expect_map(value, where), where)
    if check.get("disable") is True:
        return None
    probe = _probe(check.get("test"), where)
    if probe is None:
        return None
    health: dict[str, Any] = dict(probe)
    for key in _DURATIONS:
        if check.get(key) is not None:
            health[key] = duration(check[key], f"{where}.{key}")
    if check.get("retries") is not None:
        health["retries"] = max(int(check["retries"]), 1)
    return health


def _probe(test: Any, where: str) -> dict[str, Any] | None:
    if test is None:
        return None
    if isinstance(test, str):
        return _shell(test)
    words = [scalar_text(word) for word in test]
    if not words or words[0] == "NONE":
        return None
    if words[0] == "CMD-SHELL":
        return _shell(" ".join(words[1:]))
    command = words[1:] if words[0] == "CMD" else words
    return _http(command) or {"exec": {"command": command}}


def _shell(script: str) -> dict[str, Any]:
    try:
        words = shlex.split(script)
    except ValueError:
        words = []
    if "||" in words:
        head, tail = words[: words.index("||")], set(words[words.index("||") :])
        words = head if tail in _SHELL_TAIL else []
    return _http(words) or {"exec": {"command": ["/bin/sh", "-c", script]}}


def _http(words: list[str]) -> dict[str, Any] | None:
    """`curl -f http://localhost:8080/health` (or wget) -> an http check on that port."""
    if not words or words[0].rsplit("/", 1)[-1] not in ("curl", "wget"):
        return None
    if any(word in ("|", "&&", ";", ">") for word in words):
        return None
    urls = [m for m in map(_LOCAL_URL.match, words[1:]) if m]
    if len(urls) != 1:
        return None
    url = urls[0]
    default_port = 443 if url.group(0).startswith("https") else 80
    port = int(url.group("port") or default_port)
    return {"http": {"path": url.group("path") or "/", "port": port}}
