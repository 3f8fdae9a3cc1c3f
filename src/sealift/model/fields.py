"""Annotated field types of the app model: names, versions, durations, sizes, commands."""

from __future__ import annotations

import re
import shlex
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from sealift.formats import SEMVER_PATTERN
from sealift.model.units import (
    format_cpu,
    format_duration,
    format_quantity,
    parse_cpu,
    parse_duration,
    parse_quantity,
)

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
PARAMETER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
VOLUME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_PATTERN = (
    rf"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?{_PATH_COMPONENT}"
    rf"(?:/{_PATH_COMPONENT})*(?::[\w][\w.-]{{0,127}})?(?:@sha256:[a-f0-9]{{64}})?$"
)
MODE_PATTERN = r"^0?[0-7]{3,4}$"


def _scalar_to_text(value: Any) -> Any:
    """YAML gives ints and booleans where a string is meant: `true` -> "true", `8080` -> "8080"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _matching(pattern: str, what: str, hint: str) -> AfterValidator:
    def check(value: str) -> str:
        if re.fullmatch(pattern, value) is None:
            raise ValueError(f"invalid {what} {value!r}: {hint}")
        return value

    return AfterValidator(check)


def _pattern_schema(pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern})


Name = Annotated[
    str,
    BeforeValidator(_scalar_to_text),
    _matching(
        NAME_PATTERN,
        "name",
        "use lowercase letters, digits and '-', start and end with a letter or digit, "
        "at most 63 characters",
    ),
    _pattern_schema(NAME_PATTERN),
]
ParameterName = Annotated[
    str,
    BeforeValidator(_scalar_to_text),
    _matching(
        PARAMETER_PATTERN,
        "parameter name",
        "use letters, digits and '_', not starting with a digit",
    ),
    _pattern_schema(PARAMETER_PATTERN),
]
VolumeName = Annotated[
    str,
    BeforeValidator(_scalar_to_text),
    _matching(
        VOLUME_PATTERN,
        "volume name",
        "use lowercase letters, digits and '-', starting with a letter or digit",
    ),
    _pattern_schema(VOLUME_PATTERN),
]
SemVer = Annotated[
    str,
    BeforeValidator(_scalar_to_text),
    _matching(SEMVER_PATTERN, "version", "use semantic versioning, e.g. 1.0.0 or 1.2.3-rc.1"),
    _pattern_schema(SEMVER_PATTERN),
]
ImageRef = Annotated[
    str,
    _matching(
        IMAGE_PATTERN,
        "image reference",
        "use e.g. registry.example.com/shop/web:1.0.0 or name@sha256:<digest>",
    ),
    _pattern_schema(IMAGE_PATTERN),
]


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"path {value!r} must be absolute (start with '/')")
    return value


AbsPath = Annotated[str, AfterValidator(_absolute), _pattern_schema("^/")]


Text = Annotated[
    str,
    BeforeValidator(_scalar_to_text),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]


def _split_command(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split command {value!r}: {exc}") from None
    return value


Command = Annotated[
    list[Text],
    BeforeValidator(_split_command),
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}),
]


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, (str, int, float)) else value


def _quantity(value: Any) -> Any:
    return parse_quantity(value) if isinstance(value, (str, int)) else value


def _cpu(value: Any) -> Any:
    return parse_cpu(value) if isinstance(value, (str, int, float)) else value


_DURATION_SCHEMA = r"^(\d+(\.\d+)?(ms|h|m|s))+$|^\d+(\.\d+)?$"
_QUANTITY_SCHEMA = r"^\d+(\.\d+)?([KMGTP]i?)?$"

Duration = Annotated[
    float,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _DURATION_SCHEMA},
                {"type": "number", "minimum": 0},
            ]
        }
    ),
]
"""Seconds; written as `500ms`, `5s`, `1m`, `1h30m`; serialized canonically."""

Quantity = Annotated[
    int,
    BeforeValidator(_quantity),
    PlainSerializer(format_quantity, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _QUANTITY_SCHEMA},
                {"type": "integer", "minimum": 0},
            ]
        }
    ),
]
"""Bytes; written as `256Mi`, `1Gi`, `500M` or a number of bytes."""

Cpu = Annotated[
    int,
    BeforeValidator(_cpu),
    PlainSerializer(format_cpu, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^(\d+m|\d+(\.\d+)?)$"},
                {"type": "number", "exclusiveMinimum": 0},
            ]
        }
    ),
]
"""Millicores; written as `500m` or a number of cores (`0.5`, `2`)."""


def _file_mode(value: Any) -> Any:
    # `0644` read from YAML keeps its written text (sealift.yamltext), octal as chmod means it;
    # a number from JSON (420, or 0o644 in YAML) gets back its octal spelling.
    if isinstance(value, int) and not isinstance(value, bool):
        written = str(value)
        octal = len(written) > 1 and written.startswith("0") and written.isdigit()
        return written if octal else f"{value:04o}"
    return value


def _normalize_mode(value: str) -> str:
    if re.fullmatch(MODE_PATTERN, value) is None:
        raise ValueError(f'invalid file mode {value!r}: use an octal string such as "0644"')
    return value.zfill(4)


FileMode = Annotated[
    str,
    BeforeValidator(_file_mode),
    AfterValidator(_normalize_mode),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": MODE_PATTERN}, {"type": "integer"}]}),
]


def _host_port(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("host_port must be a port number or a ${parameter}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            raise ValueError(f"host_port {value} is out of range 1..65535")
        return value
    if isinstance(value, str) and "${" in value:
        return value
    raise ValueError(f"host_port {value!r} must be a port number or a ${{parameter}}")


HostPort = Annotated[
    Union[int, str],
    BeforeValidator(_host_port),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, {"type": "string"}]}
    ),
]


def _restart(value: Any) -> Any:
    # YAML 1.1 reads a bare `no` as False.
    return "no" if value is False else value


RestartBefore = BeforeValidator(_restart)
RestartSchema = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "enum": ["always", "on-failure", "unless-stopped", "no"]},
            {"const": False, "description": "a bare `no` read as YAML 1.1"},
        ],
    }
)


def _subpath(value: str) -> str:
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or not value.strip("/."):
        raise ValueError(
            f"subpath {value!r} must be a relative path inside the volume, without '..'"
        )
    return "/".join(part for part in parts if part not in ("", "."))


SubPath = Annotated[
    str, AfterValidator(_subpath), _pattern_schema(r"^(?!/)(?!.*(^|/)\.\.(/|$)).+$")
]
"""A directory inside a volume, relative, without `..`; normalized (`./a//b/` -> `a/b`)."""

CAPABILITIES = frozenset(
    {
        "AUDIT_CONTROL",
        "AUDIT_READ",
        "AUDIT_WRITE",
        "BLOCK_SUSPEND",
        "BPF",
        "CHECKPOINT_RESTORE",
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "IPC_LOCK",
        "IPC_OWNER",
        "KILL",
        "LEASE",
        "LINUX_IMMUTABLE",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "MKNOD",
        "NET_ADMIN",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_RAW",
        "PERFMON",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYSLOG",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_CHROOT",
        "SYS_MODULE",
        "SYS_NICE",
        "SYS_PACCT",
        "SYS_PTRACE",
        "SYS_RAWIO",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "WAKE_ALARM",
        "ALL",
    }
)


def _capability(value: str) -> str:
    name = value.removeprefix("CAP_")
    if name not in CAPABILITIES:
        upper = value.upper().removeprefix("CAP_")
        hint = " (write it in upper case)" if upper in CAPABILITIES else ""
        raise ValueError(
            f"unknown capability {value!r}{hint}: use a Linux capability such as "
            "NET_BIND_SERVICE (CAP_ prefix optional), or ALL"
        )
    return name


Capability = Annotated[
    str,
    AfterValidator(_capability),
    WithJsonSchema({"type": "string", "pattern": r"^(CAP_)?[A-Z][A-Z0-9_]*$"}),
]
"""A Linux capability, normalized without its `CAP_` prefix (`CAP_NET_ADMIN` -> `NET_ADMIN`)."""


DependsOnSchema = WithJsonSchema(
    {
        "type": "array",
        "items": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {
                        "component": {"type": "string"},
                        "condition": {"enum": ["started", "healthy", "completed"]},
                    },
                    "required": ["component"],
                    "additionalProperties": False,
                },
            ]
        },
    }
)
"""`depends_on`: names, or items `{component, condition}`."""
