"""Text of a Compose file: `${parameter}` references kept as Compose variables, every other
`$` escaped, health checks as commands run inside the container, and the `.env` file. Pure.

Compose interpolates `${NAME}` in every string of the file, from the shell's environment
first and then from `.env`; `$$` is a literal `$`. sealift's `$${` (a literal `${`) is the
same text in Compose. docker-compose 1.29 reads `.env` with python-dotenv 0.21, which
interpolates `${...}` even inside quotes and cannot escape it: a value holding `${`, or a
newline, is therefore written into the Compose file itself instead of `.env`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sealift.model.units import format_duration

if TYPE_CHECKING:
    from sealift.model.app import Health

_TOKEN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$")
LOCAL = "127.0.0.1"


def literal(text: str) -> str:
    """Text that Compose must not interpolate."""
    return text.replace("$", "$$")


def templated(text: str, values: Mapping[str, str], inline: Collection[str]) -> str:
    """A model text with `${name}` references: Compose variables (from `.env`), or the value
    itself for a parameter in `inline`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if match.group(0) == "$${":
            return "$${"
        if name is None:
            return "$$"
        return literal(values.get(name, "")) if name in inline else "${" + name + "}"

    return _TOKEN.sub(replace, text)


def host_port(text: str, values: Mapping[str, str]) -> str:
    """A templated host port, each reference with its value as the default:
    `${public_port}` -> `${public_port:-8080}`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if match.group(0) == "$${" or name is None:
            return "$$" + match.group(0)[1:]
        return "${" + name + ":-" + values.get(name, "") + "}"

    return _TOKEN.sub(replace, text)


def needs_inline(value: str) -> bool:
    """A value `.env` cannot carry for docker-compose 1.29 (see the module's text)."""
    return "${" in value or "\n" in value or "\r" in value or "\0" in value


def env_line(name: str, value: str) -> str:
    if "'" not in value:
        return f"{name}='{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def dotenv(
    settings: Mapping[str, str],
    values: Mapping[str, str],
    descriptions: Mapping[str, str],
    inline: Collection[str],
) -> str:
    """`.env`: Compose's own settings, then every parameter with its description."""
    lines = ["# Values of this app's Compose file: edit them here, then run it again."]
    lines += [env_line(name, value) for name, value in settings.items()]
    for name, value in values.items():
        lines.append("")
        if descriptions.get(name):
            lines.append(f"# {' '.join(descriptions[name].split())}")
        if name in inline:
            lines.append(f"# {name} is written in the Compose file: its value holds '${{' ")
            lines.append("# or a line break, which .env cannot carry")
        else:
            lines.append(env_line(name, value))
    return "\n".join(lines) + "\n"


def healthcheck(health: Health) -> dict[str, Any]:
    """A Compose healthcheck: the model's check run inside the container (the image must
    have the tools an http or tcp check uses: wget or curl, nc or bash)."""
    check: dict[str, Any] = {
        "test": _test(health),
        "interval": format_duration(health.interval),
        "timeout": format_duration(health.timeout),
        "retries": health.retries,
    }
    if health.start_period:
        check["start_period"] = format_duration(health.start_period)
    return check


def memory(nbytes: int) -> str:
    """Bytes as Compose writes them: `64M` (MiB) when whole, else a number of bytes."""
    mib = 1024 * 1024
    return f"{nbytes // mib}M" if nbytes % mib == 0 else str(nbytes)


def _test(health: Health) -> list[str]:
    if health.exec is not None:
        return ["CMD", *(literal(part) for part in health.exec.command)]
    if health.http is not None:
        url = shlex.quote(f"http://{LOCAL}:{health.http.port}{health.http.path}")
        headers = [shlex.quote(f"{k}: {v}") for k, v in health.http.headers.items()]
        wget = ["wget -q -O /dev/null", *(f"--header {h}" for h in headers), url]
        curl = ["curl -fsS -o /dev/null", *(f"-H {h}" for h in headers), url]
        return ["CMD-SHELL", literal(f"{' '.join(wget)} || {' '.join(curl)}")]
    assert health.tcp is not None
    port = health.tcp.port
    command = (
        f"nc -z -w 3 {LOCAL} {port} 2>/dev/null || "
        f"nc -w 3 {LOCAL} {port} </dev/null >/dev/null 2>&1 || "
        f"bash -c 'exec 3<>/dev/tcp/{LOCAL}/{port}'"
    )
    return ["CMD-SHELL", literal(command)]
