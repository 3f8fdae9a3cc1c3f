"""Every message the site-side library can put in front of a person has its Chinese: each
string or f-string given to an error it raises, to a list of problems or warnings, or to a
progress line, under the packages the console and the site's commands run, is known to the
zh catalog (messages/zh-library*.json).

The messages are found in the source (ast), so a new one without its Chinese fails here. An
f-string's fields become sample text ('x', or "'x'" for `!r`) and a template's fields match
any text, so a message matches the template made of its own f-string."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealift.web import library_text

SRC = Path(__file__).resolve().parents[2] / "src" / "sealift"

# Where the console and the site's commands get their messages from. convert/ (the
# vendor's `sealift convert`), cli/ (whose own words the console never shows) and runtime/
# (its bootstrap speaks before any console runs) are left out.
AREAS = [
    "bundle",
    "deploy",
    "market",
    "model",
    "oci",
    "render",
    "targets",
    "web",
    "errors.py",
    "files.py",
    "space.py",
    "yamltext.py",
]
MESSAGE_LISTS = {"problems", "errors", "warnings", "reasons", "issues", "refused"}
PROGRESS = {"note", "warn", "warning", "step", "begin"}


def _sample(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    out = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            out.append(str(value.value))
        else:
            assert isinstance(value, ast.FormattedValue)
            out.append("'x'" if value.conversion == ord("r") else "x")
    return "".join(out)


def _said(node: ast.AST) -> ast.expr | None:
    """The message of a raise, of `problems.append(...)` or of `progress.note(...)`."""
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
        return node.exc.args[0]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
        return None
    owner = node.func.value
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    if node.func.attr == "append" and name in MESSAGE_LISTS:
        return node.args[0]
    if node.func.attr in PROGRESS and "progress" in name:
        return node.args[0]
    return None


def _is_message(text: str) -> bool:
    """Text with words of its own (not only fields and punctuation)."""
    return sum(c.isalpha() for c in library_text.FIELD.sub("", text.replace("x", ""))) >= 4


def messages(area: str) -> Iterator[tuple[str, str]]:
    root = SRC / area
    for path in sorted([root] if root.is_file() else root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            said = _said(node)
            text = None if said is None else _sample(said)
            if text is not None and _is_message(text):
                yield f"{path.relative_to(SRC)}:{node.lineno}", text


@pytest.mark.parametrize("area", AREAS)
def test_every_message_of_the_area_has_its_chinese(area: str) -> None:
    missing = [f"{where}: {text}" for where, text in messages(area)]
    missing = [m for m in missing if not library_text.known(m.split(": ", 1)[1], "zh")]
    assert not missing, "\n".join(missing)


def test_the_messages_are_found() -> None:
    """The finder sees what it is meant to see (a finder that found nothing would pass)."""
    found = dict(messages("bundle"))
    assert len(found) > 50
    assert "checking the bundle's structure" in found.values()
    assert any(t.startswith("blob x... in x does not match") for t in found.values())
