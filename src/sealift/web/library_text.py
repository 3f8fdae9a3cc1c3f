"""What the library says -- its errors, plan reasons, progress and health-gate lines -- in
the page's language. The library speaks English only; `messages/<lang>-library.json` maps
the shapes of its messages (templates whose `{field}`s stand for the variable parts of the
f-strings of the library) to their translation; the catalog may be split into several
files `messages/<lang>-library-<area>.json`, read as one.

A message is matched against every template, the one with the most fixed text first; the
value of each field is translated in turn when it is itself a message ("bundle is corrupt:
{detail}; ..." translates its detail too). A line no template matches (a log line, a name)
stays as the library said it."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

FIELD = re.compile(r"\{(\w+)\}")
DEPTH = 6  # how deep a message may nest in another one's field
MAX_LINE = 2000  # longer lines are no message of the library (and never matched)


@dataclass(frozen=True)
class Template:
    english: str
    pattern: re.Pattern[str]
    translation: str
    chunks: tuple[str, ...]  # its fixed text: a line without them is not tried

    def match(self, text: str) -> re.Match[str] | None:
        if not all(chunk in text for chunk in self.chunks):
            return None
        return self.pattern.fullmatch(text)

    def fill(self, fields: dict[str, str]) -> str:
        return FIELD.sub(lambda found: fields[found[1]], self.translation)


def pattern_of(english: str) -> re.Pattern[str]:
    """The regular expression of a template: its text as is, each field any text (a field
    named twice must be the same text both times)."""
    parts: list[str] = []
    seen: set[str] = set()
    at = 0
    for found in FIELD.finditer(english):
        name = found[1]
        parts += [re.escape(english[at : found.start()])]
        parts += [f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"]
        seen.add(name)
        at = found.end()
    return re.compile("".join([*parts, re.escape(english[at:])]), re.DOTALL)


def fixed_text(english: str) -> str:
    return FIELD.sub("", english)


@functools.cache
def templates(lang: str) -> tuple[Template, ...]:
    folder = resources.files("sealift.web").joinpath("messages")
    data: dict[str, str] = {}
    for part in sorted(folder.iterdir(), key=lambda p: p.name):
        if part.name.startswith(f"{lang}-library") and part.name.endswith(".json"):
            data.update(json.loads(part.read_text("utf-8")))
    found = [
        Template(e, pattern_of(e), t, tuple(c for c in FIELD.split(e)[::2] if c))
        for e, t in data.items()
    ]
    return tuple(sorted(found, key=_specific_first))


def _specific_first(template: Template) -> tuple[int, bool]:
    """The one with the most fixed text first; of two with as much, the one that starts
    with its own words ("component {c}: {why}" before "{image}: {host} answered {code}")."""
    return -len(fixed_text(template.english)), template.english.startswith("{")


def translate(text: str, lang: str) -> str:
    """`text` (one message, maybe of several lines) in `lang`, as far as the catalog knows."""
    if lang == "en" or not text:
        return text
    return "\n".join(_line(line, lang, DEPTH) for line in text.split("\n"))


@functools.lru_cache(maxsize=4096)
def _line(line: str, lang: str, depth: int) -> str:
    text = line.lstrip(" ")
    indent = line[: len(line) - len(text)]
    if len(text) > MAX_LINE:
        return line
    for template in templates(lang):
        found = template.match(text)
        if found:
            fields = found.groupdict()
            if depth > 1:
                fields = {k: _line(v, lang, depth - 1) for k, v in fields.items()}
            return indent + template.fill(fields)
    return line


def known(text: str, lang: str) -> bool:
    """Does some template of `lang` match `text`?"""
    return any(t.match(text) for t in templates(lang))


__all__ = ["Template", "fixed_text", "known", "pattern_of", "templates", "translate"]
