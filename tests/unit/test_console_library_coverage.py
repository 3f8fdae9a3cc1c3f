"""Every message the site-side library can put in front of a person has its Chinese: each
string or f-string given to an error it raises, to a list of problems or warnings (a
model's problem `(path, message)` as `path: message`), to a progress line, or naming the
step of `engine_errors(step)`, under the packages the console and the site's commands run,
is known to the zh catalog (messages/zh-library*.json).

The messages are found in the source (ast), so a new one without its Chinese fails here. An
f-string's fields become sample text ('x', or "'x'" for `!r`) and a template's fields match
any text, so a message matches the template made of its own f-string. A field that chooses
between two words (`{'them' if many else 'it'}`) gives one message per word, and the
prefix of `raise exc.prefixed(prefix)` is followed by the error's own message."""

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


def _samples(node: ast.expr) -> list[str]:
    """The texts of a message: one per choice of a conditional word (`{'them' if many else
    'it'}`), every other field sample text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if not isinstance(node, ast.JoinedStr):
        return []
    texts = [""]
    for value in node.values:
        texts = [text + part for text in texts for part in _parts(value)]
    return texts


def _parts(value: ast.expr) -> list[str]:
    if isinstance(value, ast.Constant):
        return [str(value.value)]
    assert isinstance(value, ast.FormattedValue)
    choice = value.value
    words = [choice.body, choice.orelse] if isinstance(choice, ast.IfExp) else []
    if words and all(isinstance(w, ast.Constant) and isinstance(w.value, str) for w in words):
        return [str(w.value) for w in words if isinstance(w, ast.Constant)]
    return ["'x'" if value.conversion == ord("r") else "x"]


def _prefixed(prefix: ast.expr) -> ast.expr:
    """`raise exc.prefixed(prefix)`: the prefix, then the message the error had (any text)."""
    head = prefix.values if isinstance(prefix, ast.JoinedStr) else [prefix]
    message = ast.FormattedValue(ast.Name("message"), -1, None)
    return ast.JoinedStr([*head, message])


def _said(node: ast.AST) -> ast.expr | None:
    """The message of a raise, of `problems.append(...)` (or `problems += [...]`), of
    `progress.note(...)`, or the step `engine_errors(step)` names in the engine's errors."""
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
        func = node.exc.func
        if isinstance(func, ast.Attribute) and func.attr == "prefixed":
            return _prefixed(node.exc.args[0])
        return node.exc.args[0]
    if isinstance(node, ast.AugAssign) and isinstance(node.value, ast.ListComp):
        target = node.target
        return _problem(node.value.elt) if _name(target) in MESSAGE_LISTS else None
    if not (isinstance(node, ast.Call) and node.args):
        return None
    if isinstance(node.func, ast.Name) and node.func.id == "engine_errors":
        return node.args[0]
    if not isinstance(node.func, ast.Attribute):
        return None
    name = _name(node.func.value)
    if node.func.attr == "append" and name in MESSAGE_LISTS:
        return _problem(node.args[0])
    if node.func.attr in PROGRESS and "progress" in name:
        return node.args[0]
    return None


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")


def _problem(said: ast.expr) -> ast.expr:
    """A problem of the model, `(path, message)`, is shown as `path: message`."""
    if not (isinstance(said, ast.Tuple) and len(said.elts) == 2):
        return said
    message = said.elts[1]
    if not isinstance(message, (ast.JoinedStr, ast.Constant)):
        return message  # built otherwise: not looked at
    tail = message.values if isinstance(message, ast.JoinedStr) else [message]
    where = ast.FormattedValue(ast.Name("where"), -1, None)
    return ast.JoinedStr([where, ast.Constant(": "), *tail])


def _is_message(text: str) -> bool:
    """Text with words of its own (not only fields and punctuation)."""
    return sum(c.isalpha() for c in library_text.FIELD.sub("", text.replace("x", ""))) >= 4


def messages(area: str) -> Iterator[tuple[str, str]]:
    root = SRC / area
    for path in sorted([root] if root.is_file() else root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            said = _said(node)
            for text in [] if said is None else _samples(said):
                if _is_message(text):
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
