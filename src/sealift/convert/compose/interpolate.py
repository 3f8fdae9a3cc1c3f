"""Compose variables (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`) -> app parameters.

Where the app model substitutes `${name}` (env values, command, entrypoint, host_port), a
variable becomes a parameter whose default is its value in the compose environment (shell,
then `--env-file` or `.env`) or the inline default. Elsewhere the variable is replaced by that
value, and a warning says so; a required variable (`:?`, `?`) that is unset there is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealift.convert.naming import escape_template
from sealift.errors import ConvertError

_SECRET_HINTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY")
_OPS = (":-", ":?", ":+", "-", "?", "+")
_PARAMETER_OPS = ("", "-", ":-", "?", ":?", "from-environment")


@dataclass(frozen=True)
class Variable:
    name: str
    op: str = ""
    arg: str = ""

    @property
    def required(self) -> bool:
        return self.op in ("?", ":?")

    @property
    def message(self) -> str:
        return self.arg or f"{self.name} must be set"


@dataclass
class Interpolator:
    """`env` is the compose environment: the shell's variables over the env files'."""

    env: Mapping[str, str]
    shell: frozenset[str] = frozenset()
    """Names whose value in `env` comes from the shell of the machine converting."""
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def template(self, text: str) -> str:
        """`text` for a field the model substitutes: variables become `${parameter}`."""
        out: list[str] = []
        literal: list[str] = []
        for piece in split(text):
            if isinstance(piece, Variable) and piece.op in _PARAMETER_OPS:
                out.append(escape_template("".join(literal)))
                literal = []
                out.append("${" + self.declare(piece) + "}")
            else:
                literal.append(self.value(piece, "") if isinstance(piece, Variable) else piece)
        out.append(escape_template("".join(literal)))
        return "".join(out)

    def literal(self, text: str, where: str, quiet: bool = False) -> str:
        """`text` with every variable replaced by its value or default."""
        pieces = split(text)
        variables = [p.name for p in pieces if isinstance(p, Variable)]
        if variables and not quiet:
            self.warnings.append(
                f"{where}: the app model cannot take parameters here; "
                f"{', '.join('${' + v + '}' for v in variables)} replaced by "
                "its value from the compose environment or its default"
            )
        return "".join(self.value(p, where) if isinstance(p, Variable) else p for p in pieces)

    def single_variable(self, text: str) -> Variable | None:
        """The variable when `text` is exactly one `${VAR...}` and nothing else."""
        pieces = split(text)
        if len(pieces) == 1 and isinstance(pieces[0], Variable):
            return pieces[0]
        return None

    def declare(self, variable: Variable, integer: bool = False) -> str:
        """Make `variable` a parameter (once); returns its name."""
        known = variable.name in self.parameters
        param = self.parameters.setdefault(variable.name, {})
        secret = any(hint in variable.name.upper() for hint in _SECRET_HINTS)
        default = self._default(variable)
        if not known and variable.name in self.shell and default == self.env.get(variable.name):
            default = self._shell_default(variable.name, default, secret)
        if "default" not in param and default is not None:
            param["default"] = default
        if "description" not in param:
            param["description"] = variable.message if variable.required else _origin(variable)
        if secret:
            param["secret"] = True
        if integer and str(param.get("default", "0")).isdigit():
            param["type"] = "integer"
            if "default" in param:
                param["default"] = int(param["default"])
        return variable.name

    def _shell_default(self, name: str, value: str | None, secret: bool) -> str | None:
        """A value from this machine's shell: never the default of a secret, always said."""
        if secret:
            self.warnings.append(
                f"parameters.{name}: set in your shell, but its value is not made the "
                "default of a secret parameter; the installer gives it"
            )
            return None
        self.warnings.append(f"parameters.{name}: its default is the value set in your shell")
        return value

    def resolve_tree(self, value: Any, where: str) -> Any:
        """Every string inside `value` with its variables replaced by their values."""
        if isinstance(value, str):
            return self.literal(value, where)
        if isinstance(value, list):
            return [self.resolve_tree(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.resolve_tree(v, f"{where}.{k}") for k, v in value.items()}
        return value

    def value(self, variable: Variable, where: str) -> str:
        """The value Compose gives `variable`; an unset required one is an error."""
        return resolve_variable(variable, self.env, where)

    def _default(self, variable: Variable) -> str | None:
        if variable.op == "from-environment":
            return self.env.get(variable.name, "")
        if variable.name in self.env and (self.env[variable.name] or variable.op != ":-"):
            return self.env[variable.name]
        if variable.op in ("-", ":-"):
            return self.literal(variable.arg, "", quiet=True)
        return None


def resolve_variable(variable: Variable, env: Mapping[str, str], where: str) -> str:
    """`${NAME<op><arg>}` by the Compose Specification's rules, looking names up in `env`."""
    value = env.get(variable.name)
    is_set = value is not None
    has_value = bool(value)
    usable = has_value if variable.op.startswith(":") else is_set
    if variable.op in ("-", ":-"):
        return value if usable and value is not None else interpolate(variable.arg, env, where)
    if variable.op in ("+", ":+"):
        return interpolate(variable.arg, env, where) if usable else ""
    if variable.required and not usable:
        place = f"{where}: " if where else ""
        message = f": {variable.arg}" if variable.arg else ""
        raise ConvertError(
            f"{place}required variable {variable.name} is not set{message}; "
            "set it in the environment, in .env or in a file given with --env-file"
        )
    return value or ""


def interpolate(text: str, env: Mapping[str, str], where: str) -> str:
    """`text` with every variable replaced, without parameters or warnings."""
    return "".join(
        resolve_variable(p, env, where) if isinstance(p, Variable) else p for p in split(text)
    )


def _origin(variable: Variable) -> str:
    if variable.op == "from-environment":
        return f"{variable.name} of the compose environment (given without a value)"
    return f"compose variable ${{{variable.name}}}"


def split(text: str) -> list[str | Variable]:
    """Literal pieces (`$$` already made `$`) and variables, in order."""
    pieces: list[str | Variable] = []
    literal: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char != "$" or position + 1 >= len(text):
            literal.append(char)
            position += 1
            continue
        variable, position = _token(text, position, literal)
        if variable is not None:
            pieces += ["".join(literal), variable]
            literal = []
    pieces.append("".join(literal))
    return [p for p in pieces if p != ""]


def _token(text: str, start: int, literal: list[str]) -> tuple[Variable | None, int]:
    """The token at `text[start] == "$"`; a literal `$` goes to `literal`."""
    after = text[start + 1]
    if after == "$":
        literal.append("$")
        return None, start + 2
    if after == "{":
        return _braced(text, start)
    end = start + 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    if end == start + 1 or text[start + 1].isdigit():
        literal.append("$")
        return None, start + 1
    return Variable(text[start + 1 : end]), end


def _braced(text: str, start: int) -> tuple[Variable, int]:
    close = _closing_brace(text, start + 2)
    body = text[start + 2 : close]
    name_end = 0
    while name_end < len(body) and (body[name_end].isalnum() or body[name_end] == "_"):
        name_end += 1
    name, rest = body[:name_end], body[name_end:]
    op = next((o for o in _OPS if rest.startswith(o)), None)
    if not name or name[0].isdigit() or (rest and op is None):
        raise ConvertError(f"invalid variable ${{{body}}}; write ${{NAME}} or ${{NAME:-default}}")
    return Variable(name, op or "", rest[len(op or "") :]), close + 1


def _closing_brace(text: str, position: int) -> int:
    depth = 0
    while position < len(text):
        if text.startswith("${", position):
            depth += 1
            position += 2
            continue
        if text[position] == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    raise ConvertError(f"{text!r}: a `${{` has no closing `}}`; close it or write $$ for a $")
