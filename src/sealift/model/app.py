"""The app model of `sealift.yaml` as frozen pydantic models (see docs/app-model.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sealift.model.fields import (
    AbsPath,
    Command,
    Cpu,
    Duration,
    FileMode,
    HostPort,
    ImageRef,
    Name,
    ParameterName,
    Quantity,
    RestartBefore,
    RestartSchema,
    SemVer,
    Text,
    VolumeName,
)
from sealift.model.units import parse_cpu, parse_duration, parse_quantity

__all__ = [
    "AppModel",
    "Component",
    "ConfigFile",
    "ExecCheck",
    "Health",
    "HttpCheck",
    "Parameter",
    "Port",
    "Resources",
    "TcpCheck",
    "Volume",
    "parse_cpu",
    "parse_duration",
    "parse_quantity",
]

SCHEMA_ID = "sealift/v1"
PortNumber = Annotated[int, Field(ge=1, le=65535)]
ParameterType = Literal["string", "integer", "boolean"]
ParameterValue = str | int | bool
Restart = Literal["always", "on-failure", "unless-stopped", "no"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Frozen):
    """A site-specific value asked at install time."""

    type: ParameterType = "string"
    default: ParameterValue | None = None
    description: str | None = None
    secret: bool = False
    generate: int | None = Field(default=None, ge=8)
    required: bool = False
    """Derived: true when there is neither a default nor `generate` (unless set explicitly)."""

    @model_validator(mode="before")
    @classmethod
    def _derive_required(cls, data: Any) -> Any:
        if isinstance(data, dict) and "required" not in data:
            return {
                **data,
                "required": data.get("default") is None and data.get("generate") is None,
            }
        return data

    @field_validator("default", mode="before")
    @classmethod
    def _default_fits_type(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if value is None or kind is None:
            return value
        return coerce_value(kind, value, "default")

    @field_validator("generate")
    @classmethod
    def _generate_alone(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return value
        if info.data.get("type", "string") != "string":
            raise ValueError("generate makes a string value: remove `type` or `generate`")
        if info.data.get("default") is not None:
            raise ValueError("set either `default` or `generate`, not both")
        return value


def coerce_value(kind: str, value: object, what: str = "value") -> ParameterValue:
    """A parameter value of any spelling -> the Python value of its type; ValueError if it
    does not fit."""
    if isinstance(value, bool):
        if kind == "integer":
            raise ValueError(f"{what} {value!r} is not an integer")
        return value if kind == "boolean" else ("true" if value else "false")
    if not isinstance(value, str | int | float):
        raise ValueError(f"{what} must be a {kind}, not {type(value).__name__}")
    text = str(value).strip()
    if kind == "integer":
        if isinstance(value, float) or not text.lstrip("+-").isdigit():
            raise ValueError(f"{what} {value!r} is not an integer")
        return int(text)
    if kind == "boolean":
        return _boolean(text, what)
    return str(value)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _boolean(text: str, what: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"{what} {text!r} is not a boolean: use true or false")


class Port(_Frozen):
    """A container port; `expose: true` makes it reachable from outside the app."""

    port: PortNumber
    protocol: Literal["tcp", "udp"] = "tcp"
    expose: bool = False
    host_port: HostPort | None = None
    """An int, or before rendering a string with `${param}`; default (when exposed) = port."""
    name: str | None = None

    @field_validator("host_port")
    @classmethod
    def _only_when_exposed(cls, value: int | str | None, info: ValidationInfo) -> int | str | None:
        if value is not None and info.data.get("expose") is False:
            raise ValueError("host_port needs expose: true")
        return value

    @property
    def published_port(self) -> int | None:
        """The host port of a rendered model: None when not exposed."""
        if not self.expose:
            return None
        if isinstance(self.host_port, str):
            raise ValueError(f"host_port {self.host_port!r} is not rendered yet")
        return self.host_port if self.host_port is not None else self.port


class HttpCheck(_Frozen):
    path: str = "/"
    port: PortNumber

    @field_validator("path")
    @classmethod
    def _rooted(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path {value!r} must start with '/'")
        return value


class TcpCheck(_Frozen):
    port: PortNumber


class ExecCheck(_Frozen):
    command: Annotated[Command, Field(min_length=1)]


class Health(_Frozen):
    """How to tell that a component is ready: exactly one of http, tcp, exec."""

    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    exec: ExecCheck | None = None
    interval: Duration = 10.0
    timeout: Duration = 5.0
    retries: int = Field(default=3, ge=1)
    start_period: Duration = 0.0

    @model_validator(mode="after")
    def _exactly_one_check(self) -> Health:
        chosen = [c for c in (self.http, self.tcp, self.exec) if c is not None]
        if len(chosen) != 1:
            raise ValueError(f"give exactly one of http, tcp, exec (found {len(chosen)})")
        return self


class Volume(_Frozen):
    """Persistent named storage; survives upgrade, rollback and reinstall."""

    name: VolumeName
    path: AbsPath
    size: Quantity | None = None


class ConfigFile(_Frozen):
    """A file placed in the container."""

    path: AbsPath
    content: str
    mode: FileMode = "0644"


class Resources(_Frozen):
    cpu: Cpu | None = None
    """Millicores."""
    memory: Quantity | None = None
    """Bytes."""


class Component(_Frozen):
    """One service of the app: an image and how to run it."""

    image: ImageRef
    command: Command | None = None
    entrypoint: Command | None = None
    env: dict[str, Text] = {}
    working_dir: AbsPath | None = None
    user: Text | None = None
    ports: list[Port] = []
    depends_on: list[str] = []
    health: Health | None = None
    replicas: int = Field(default=1, ge=0)
    stateful: bool = False
    volumes: list[Volume] = []
    configs: list[ConfigFile] = []
    resources: Resources | None = None
    restart: Annotated[Restart, RestartBefore, RestartSchema] = "always"
    labels: dict[str, Text] = {}


class AppModel(_Frozen):
    """A whole `sealift.yaml`."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, serialize_by_alias=True, title="sealift.yaml"
    )

    schema_: Literal["sealift/v1"] = Field(alias="schema")
    name: Name
    version: SemVer
    description: str | None = None
    parameters: dict[ParameterName, Parameter] = {}
    components: dict[Name, Component] = Field(min_length=1)
