"""Parameter values given on the command line (`--set K=V`, `--values FILE`), and the one
helper that keeps secret values out of every error text."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sealift.errors import DeployError, SealiftError, YamlError
from sealift.files import MODEL_LIMIT, read_text_limited
from sealift.formats import MASK
from sealift.yamltext import load_yaml

SHORT_SECRET = 6
MAX_VALUE = 64 * 1024
"""The longest parameter value, in bytes of UTF-8 (a larger file belongs in a config)."""


def parse_given(sets: list[str], values_files: list[Path]) -> dict[str, str]:
    """Values from files (in order), then `--set` (which wins)."""
    given: dict[str, str] = {}
    for path in values_files:
        given.update({k: _text(v) for k, v in _read_values(path).items()})
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DeployError(f"--set {item!r} is not KEY=VALUE (for example public_port=8080)")
        given[key.strip()] = value
    for key, value in given.items():
        _check_length(key, value)
    return given


def _check_length(key: str, value: str) -> None:
    size = len(value.encode("utf-8", "surrogateescape"))
    if size > MAX_VALUE:
        raise DeployError(
            f"the value of parameter '{key}' is {size // 1024} KiB long; a parameter value may "
            f"be at most {MAX_VALUE // 1024} KiB (carry large content as a config file of the app)"
        )


def _read_values(path: Path) -> dict[str, object]:
    try:
        document = load_yaml(read_text_limited(path, MODEL_LIMIT, "a values file"))
    except OSError as exc:
        raise DeployError(f"cannot read values file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise DeployError(f"values file {path} is not UTF-8 text; save it as UTF-8") from None
    except YamlError as exc:
        raise DeployError(f"values file {path} is not valid YAML: {exc}") from None
    if document.duplicates:
        where = document.duplicates[0]
        raise DeployError(
            f"values file {path} gives '{where[-1]}' twice (line {document.lines[where]}); "
            "keep only one"
        )
    data = document.data
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise DeployError(f"values file {path} must be a mapping of parameter: value")
    for key, value in data.items():
        if isinstance(value, (dict, list, set)):
            raise DeployError(
                f"values file {path}: '{key}' (line {document.lines[(key,)]}) is a list or "
                "mapping; a parameter takes one value (quote it to give text)"
            )
    return dict(data)


def _text(value: object) -> str:
    """A value as the user wrote it (`0022` stays `0022`); an empty value is ""."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# -- never echo a secret ---------------------------------------------------------------


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (as written, JSON-escaped or repr-quoted) shown as
    ***. A short value (a default pin `1`) is replaced only where it stands as a value:
    quoted, or after `=` or `:` (so that `1.0.0` stays readable)."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {value, json.dumps(value)[1:-1], repr(value)[1:-1]}:
            if len(form) >= SHORT_SECRET:
                text = text.replace(form, MASK)
            else:
                text = re.sub(rf"(?<=['\"=:]){re.escape(form)}(?=['\"]|[\s,;]|$)", MASK, text)
    return text


@contextmanager
def secrets_masked(secrets: Iterable[str]) -> Iterator[None]:
    """Re-raise any SealiftError of the block with `secrets` masked in its text. The
    original (and its causes, which may quote the value) is not chained."""
    try:
        yield
    except SealiftError as exc:
        hidden = list(secrets)
        text = str(exc)
        if mask_text(text, hidden) == text:
            raise
        clean = copy.copy(exc)
        clean.args = (mask_text(text, hidden),)
        problems = getattr(clean, "problems", None)
        if isinstance(problems, list):
            clean.problems = [mask_text(str(p), hidden) for p in problems]  # type: ignore[attr-defined]
        raise clean from None


__all__ = ["mask_text", "parse_given", "secrets_masked"]
