"""Compose variables (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`) -> app parameters.

Where the app model substitutes `${name}` (env values, command, entrypoint, host_port), a
variable becomes a parameter whose default comes from `.env` or the inline default. Elsewhere
the variable is replaced by that value, and a warning says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealift.convert.naming import escape_template

_TOKEN = re.compile(
    r"\$\$"
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
_SECRET_HINTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY")


@dataclass(frozen=True)
class Variable:
    name: str
    op: str = ""
    arg: str = ""

    @property
    def inline_default(self) -> str | None:
        return self.arg if self.op in ("-", ":-") else None

    @property
    def required_message(self) -> str | None:
        return (self.arg or f"{self.name} must be set") if self.op in ("?", ":?") else None


@dataclass
class Interpolator:
    dotenv: Mapping[str, str]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def template(self, text: str) -> str:
        """`text` for a field the model substitutes: variables become `${parameter}`."""
        out: list[str] = []
        literal: list[str] = []
        for piece in _split(text):
            if isinstance(piece, Variable) and piece.op not in ("+", ":+"):
                out.append(escape_template("".join(literal)))
                literal = []
                self.declare(piece)
                out.append("${" + piece.name + "}")
            else:
                literal.append(self._value(piece) if isinstance(piece, Variable) else piece)
        out.append(escape_template("".join(literal)))
        return "".join(out)

    def literal(self, text: str, where: str) -> str:
        """`text` with every variable replaced by its `.env` value or default."""
        pieces = _split(text)
        variables = [p.name for p in pieces if isinstance(p, Variable)]
        if variables:
            self.warnings.append(
                f"{where}: the app model cannot take parameters here; "
                f"{', '.join('${' + v + '}' for v in variables)} replaced by "
                "its value from .env or its default"
            )
        return "".join(self._value(p) if isinstance(p, Variable) else p for p in pieces)

    def single_variable(self, text: str) -> Variable | None:
        """The variable when `text` is exactly one `${VAR...}` and nothing else."""
        pieces = _split(text)
        if len(pieces) == 1 and isinstance(pieces[0], Variable):
            return pieces[0]
        return None

    def declare(self, variable: Variable, integer: bool = False) -> str:
        """Make `variable` a parameter (once); returns its name."""
        param = self.parameters.setdefault(variable.name, {})
        default = self.dotenv.get(variable.name, variable.inline_default)
        if "default" not in param and default is not None:
            param["default"] = default
        if "description" not in param:
            param["description"] = variable.required_message or _origin(variable)
        if any(hint in variable.name.upper() for hint in _SECRET_HINTS):
            param["secret"] = True
        if integer and str(param.get("default", "0")).isdigit():
            param["type"] = "integer"
            if "default" in param:
                param["default"] = int(param["default"])
        return variable.name

    def resolve_tree(self, value: Any, where: str) -> Any:
        """Every string inside `value` with its variables replaced by their values."""
        if isinstance(value, str):
            return self.literal(value, where)
        if isinstance(value, list):
            return [self.resolve_tree(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.resolve_tree(v, f"{where}.{k}") for k, v in value.items()}
        return value

    def _value(self, variable: Variable) -> str:
        value = self.dotenv.get(variable.name)
        if variable.op in ("+", ":+"):
            return variable.arg if value else ""
        if value is not None and (value or variable.op != ":-"):
            return value
        return variable.inline_default or ""


def _origin(variable: Variable) -> str:
    if variable.op == "from-environment":
        return f"{variable.name} of the compose environment (given without a value)"
    return f"compose variable ${{{variable.name}}}"


def _split(text: str) -> list[str | Variable]:
    pieces: list[str | Variable] = []
    position = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[position : match.start()])
        if match.group(0) == "$$":
            pieces.append("$")
        else:
            name = match.group("braced") or match.group("bare")
            pieces.append(Variable(name, match.group("op") or "", match.group("arg") or ""))
        position = match.end()
    pieces.append(text[position:])
    return [p for p in pieces if p != ""]
