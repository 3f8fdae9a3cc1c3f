"""English and Simplified Chinese. A message's English text is its key; the catalog
`messages/<lang>.json` (package data) maps it to the translation; a text that is not a key
there is a message of the library, translated by its shape (`library_text`). The language
comes from the `sealift_lang` cookie (the switch in every page) or else from
Accept-Language."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources

from sealift.web import library_text

LANGUAGES = {"en": "English", "zh": "简体中文"}
COOKIE = "sealift_lang"

Translate = Callable[..., str]


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    if lang == "en":
        return {}
    folder = resources.files("sealift.web").joinpath("messages")
    text = folder.joinpath(f"{lang}.json").read_text("utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def translator(lang: str) -> Translate:
    """`t("Hello {name}", name=...)`: the text in `lang`, with its fields filled in;
    `t(message)` of a message the library said: that message in `lang`."""
    messages = catalog(lang)

    def t(text: str, **fields: object) -> str:
        found = messages.get(text)
        if found is None:
            return text.format(**fields) if fields else library_text.translate(text, lang)
        return found.format(**fields) if fields else found

    return t


def choose(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    for lang, _quality in _ranked(accept_language or ""):
        base = lang.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return "en"


def _ranked(header: str) -> list[tuple[str, float]]:
    ranked = []
    for part in header.split(","):
        lang, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if lang:
            ranked.append((lang, quality))
    return sorted(ranked, key=lambda item: -item[1])


__all__ = ["COOKIE", "LANGUAGES", "Translate", "catalog", "choose", "translator"]
