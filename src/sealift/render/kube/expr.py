"""How an object names a value that the site may change: as a Helm template expression
(the chart), or as the value itself (plain manifests, for one set of values).

Objects are built as plain data by the same code for both. In Helm mode a changing value
is a token (`__SL3__`) in the data; after the data is written as YAML, `Tokens.fill`
replaces each token by its template text, so the data never holds template syntax itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

Path = tuple[str, ...]
PieceKind = Literal["lit", "raw", "param", "secret"]
Piece = tuple[str, PieceKind]
"""A part of a text: a literal, a literal kept unescaped, a parameter, a secret parameter."""

_TOKEN = re.compile(r"__SL(\d+)__")
_LINE = re.compile(r"^( *)__SL(\d+)L__: null$", re.MULTILINE)
_BLOCK = re.compile(r"^( *)(- )?([^\n:]+): __SL(\d+)B__$", re.MULTILINE)
HASH_LENGTH = 16
SECRET_VALUES = "$p"
"""The variable of the Helm template that holds every secret parameter's value."""


@dataclass
class Tokens:
    """Template texts of the tokens of one file (Helm mode)."""

    inline: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    lines: list[list[str]] = field(default_factory=list)

    def scalar(self, template: str) -> str:
        """A value: `__SLn__` becomes `template`."""
        self.inline.append(template)
        return f"__SL{len(self.inline) - 1}__"

    def block(self, expression: str) -> str:
        """A mapping's value: `key: __SLnB__` becomes `key: {{- expression | nindent N }}`."""
        self.blocks.append(expression)
        return f"__SL{len(self.blocks) - 1}B__"

    def line(self, template_lines: list[str]) -> str:
        """A key: the line `__SLnL__: null` becomes `template_lines` at its indentation."""
        self.lines.append(template_lines)
        return f"__SL{len(self.lines) - 1}L__"

    def fill(self, text: str) -> str:
        """YAML text with every token replaced by its template; literal `{{` escaped."""
        text = text.replace("{{", '{{ "{{" }}')
        text = _LINE.sub(self._line, text)
        text = _BLOCK.sub(self._block, text)
        return _TOKEN.sub(lambda m: self.inline[int(m.group(1))], text)

    def _line(self, match: re.Match[str]) -> str:
        lines = self.lines[int(match.group(2))]
        return "\n".join(match.group(1) + line for line in lines)

    def _block(self, match: re.Match[str]) -> str:
        indent = len(match.group(1)) + (2 if match.group(2) else 0) + 2
        head = f"{match.group(1)}{match.group(2) or ''}{match.group(3)}:"
        return f"{head} {{{{- {self.blocks[int(match.group(4))]} | nindent {indent} }}}}"


def go_string(text: str) -> str:
    """A Go template string literal."""
    return json.dumps(text)


def values_path(path: Path) -> str:
    return "(index .Values " + " ".join(go_string(p) for p in path) + ")"


@dataclass
class HelmExprs:
    """Values as Helm template expressions."""

    types: Mapping[str, str]
    """Parameter name -> type (string, integer, boolean)."""
    tokens: Tokens = field(default_factory=Tokens)
    helm: bool = True

    @property
    def release(self) -> str:
        return self.tokens.scalar("{{ .Release.Name | quote }}")

    @property
    def managed_by(self) -> str:
        return self.tokens.scalar("{{ .Release.Service | quote }}")

    def value(self, path: Path) -> str:
        return self.tokens.scalar(f"{{{{ {values_path(path)} | toJson }}}}")

    def block(self, path: Path) -> str:
        return self.tokens.block(f"toYaml {values_path(path)}")

    def optional(self, key: str, path: Path) -> dict[str, Any]:
        """`key: value` unless the value is empty."""
        token = self.tokens.line(
            [f"{{{{- with {values_path(path)} }}}}", f"{key}: {{{{ . | toJson }}}}", "{{- end }}"]
        )
        return {token: None}

    def text(self, parts: list[Piece], escape: bool = False) -> str:
        if all(kind in ("lit", "raw") for _, kind in parts):
            return _literal(parts, escape)
        return self.tokens.scalar(f"{{{{ {self._printf(parts, escape)} | quote }}}}")

    def integer(self, parts: list[Piece]) -> str | int:
        if all(kind in ("lit", "raw") for _, kind in parts):
            return int(_literal(parts, False))
        return self.tokens.scalar(f"{{{{ {self._printf(parts, False)} | int64 }}}}")

    def digest(self, parts: list[Piece]) -> str:
        """A short hash of the text (a pod annotation: the pod changes when the text does)."""
        if all(kind in ("lit", "raw") for _, kind in parts):
            return short_hash(_literal(parts, False))
        return self.tokens.scalar(
            f"{{{{ {self._printf(parts, False)} | sha256sum | trunc {HASH_LENGTH} | quote }}}}"
        )

    def _printf(self, parts: list[Piece], escape: bool) -> str:
        args = " ".join(self._arg(value, kind, escape) for value, kind in parts)
        return f'printf "{"%v" * len(parts)}" {args}'

    def _arg(self, value: str, kind: PieceKind, escape: bool) -> str:
        if kind in ("lit", "raw"):
            return go_string(_escaped(value) if escape and kind == "lit" else value)
        if kind == "secret":
            found = f"(index {SECRET_VALUES} {go_string(value)})"
        elif self.types.get(value) == "integer":
            found = f"(int64 {values_path(('parameters', value))})"
        else:
            found = f"(toString {values_path(('parameters', value))})"
        return f'(replace "$" "$$" {found})' if escape else found


@dataclass
class PlainExprs:
    """Values themselves, for one set of values (plain manifests)."""

    values: Mapping[str, Any]
    """What values.yaml would hold."""
    parameters: Mapping[str, str]
    """Every parameter's value as text."""
    name: str
    helm: bool = False

    @property
    def release(self) -> str:
        return self.name

    @property
    def managed_by(self) -> str:
        return "sealift"

    def value(self, path: Path) -> Any:
        found: Any = self.values
        for key in path:
            found = found[key]
        return found

    def block(self, path: Path) -> Any:
        return self.value(path)

    def optional(self, key: str, path: Path) -> dict[str, Any]:
        found = self.value(path)
        return {key: found} if found else {}

    def text(self, parts: list[Piece], escape: bool = False) -> str:
        return "".join(self._part(value, kind, escape) for value, kind in parts)

    def integer(self, parts: list[Piece]) -> str | int:
        return int(self.text(parts))

    def digest(self, parts: list[Piece]) -> str:
        return short_hash(self.text(parts))

    def _part(self, value: str, kind: PieceKind, escape: bool) -> str:
        if kind in ("param", "secret"):
            value = self.parameters[value]
        return _escaped(value) if escape and kind != "raw" else value


Exprs = Union[HelmExprs, PlainExprs]


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _escaped(text: str) -> str:
    """Kubernetes expands `$(VAR)` in env values, command and args; `$$` is a `$`."""
    return text.replace("$", "$$")


def _literal(parts: list[Piece], escape: bool) -> str:
    return "".join(_escaped(v) if escape and k == "lit" else v for v, k in parts)
