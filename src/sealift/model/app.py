"""The app model of `sealift.yaml` as frozen pydantic models (see docs/app-model.md)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from sealift.model.fields import (
    AbsPath,
    Capability,
    Command,
    Cpu,
    DependsOnSchema,
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
    SubPath,
    Text,
    VolumeName,
)
from sealift.model.units import parse_cpu, parse_duration, parse_quantity

__all__ = [
    "AppModel",
    "Component",
    "ConfigFile",
    "Dependency",
    "ExecCheck",
    "Health",
    "HttpCheck",
    "Parameter",
    "Port",
    "Resources",
    "Security",
    "SharedVolume",
    "TcpCheck",
    "Volume",
    "parse_cpu",
    "parse_duration",
    "parse_quantity",
]

SCHEMA_ID = "sealift/v1"
PortNumber = Annotated[int, Field(ge=1, le=65535)]
ParameterType = Literal["string", "integer", "boolean"]
ParameterValue = Union[str, int, bool]
Restart = Literal["always", "on-failure", "unless-stopped", "no"]
Kind = Literal["service", "job"]
Condition = Literal["started", "healthy", "completed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    omit_when_default: ClassVar[frozenset[str]] = frozenset()
    """Fields left out of the normalized JSON while they hold their default: keys added after
    the first release, so that a model that does not use them normalizes (and hashes) as
    before."""

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self.omit_when_default:
                field = type(self).model_fields[name]
                if getattr(self, name) == field.get_default(call_default_factory=True):
                    data.pop(field.alias or name, None)
        return data


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
    if not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} must be of type {kind}, not {type(value).__name__}")
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
    omit_when_default = frozenset({"headers"})

    path: str = "/"
    port: PortNumber
    headers: dict[str, Text] = {}
    """Sent with the request, e.g. `Host: example.org` for an app that checks it."""

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
    """A mount of persistent named storage; survives upgrade, rollback and reinstall. A name
    declared in the app's `volumes` is shared by every component that mounts it; any other
    name is private to its component."""

    omit_when_default = frozenset({"read_only"})

    name: VolumeName
    path: AbsPath
    size: Quantity | None = None
    subpath: SubPath | None = None
    """Mount only this directory of the volume (created when missing)."""
    read_only: bool = False


class SharedVolume(_Frozen):
    """A volume declared once for the app (`volumes:`), mounted by several components."""

    size: Quantity | None = None


_TRUE_SPELLINGS = {"1", "on", "t", "true", "y", "yes"}


def _is_true(value: object) -> bool:
    """pydantic's lax reading of a boolean (before the field is validated)."""
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_SPELLINGS
    return value is True or (isinstance(value, int) and value == 1)


class ConfigFile(_Frozen):
    """A file placed in the container; a `secret` one is never printed and defaults to mode
    0400."""

    omit_when_default = frozenset({"secret"})

    path: AbsPath
    content: str
    mode: FileMode = "0644"
    """Default 0644, or 0400 for a secret."""
    secret: bool = False
    uid: int | None = Field(default=None, ge=0)
    gid: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _secret_mode(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mode" not in data and _is_true(data.get("secret")):
            return {**data, "mode": "0400"}
        return data


class Resources(_Frozen):
    cpu: Cpu | None = None
    """Millicores."""
    memory: Quantity | None = None
    """Bytes."""


class Dependency(_Frozen):
    """`depends_on` item: start after `component` is started, healthy (once its health check
    passes; started when it has none) or completed (a job that exited with code 0)."""

    component: str
    condition: Condition = "healthy"


def _dependency_items(value: Any) -> Any:
    if isinstance(value, list):
        return [{"component": item} if isinstance(item, str) else item for item in value]
    return value


DependsOn = Annotated[list[Dependency], BeforeValidator(_dependency_items), DependsOnSchema]


class Security(_Frozen):
    """How locked down the component runs."""

    omit_when_default = frozenset(
        {"read_only_root", "cap_drop", "cap_add", "no_new_privileges", "run_as_non_root"}
    )

    read_only_root: bool = False
    cap_drop: list[Capability] = []
    cap_add: list[Capability] = []
    no_new_privileges: bool = False
    run_as_non_root: bool = False
    """Refuse to start as uid 0 (from `user`, else the image's user)."""


class Component(_Frozen):
    """One service of the app (or a job that runs to completion): an image and how to run it."""

    omit_when_default = frozenset({"kind"})

    kind: Kind = "service"
    image: ImageRef
    command: Command | None = None
    entrypoint: Command | None = None
    env: dict[str, Text] = {}
    working_dir: AbsPath | None = None
    user: Text | None = None
    ports: list[Port] = []
    depends_on: DependsOn = []
    health: Health | None = None
    replicas: int = Field(default=1, ge=0)
    stateful: bool = False
    volumes: list[Volume] = []
    configs: list[ConfigFile] = []
    resources: Resources | None = None
    restart: Annotated[Restart, RestartBefore, RestartSchema] = "always"
    """Default `always`; for a job `no`."""
    labels: dict[str, Text] = {}
    security: Security | None = None

    @model_validator(mode="before")
    @classmethod
    def _job_restart(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "job" and "restart" not in data:
            return {**data, "restart": "no"}
        return data

    @field_serializer("depends_on")
    def _plain_names(self, deps: list[Dependency]) -> list[str | dict[str, str]]:
        """A `healthy` dependency is written as its name, as the first release wrote it."""
        return [
            d.component if d.condition == "healthy" else d.model_dump(mode="json") for d in deps
        ]

    @property
    def is_job(self) -> bool:
        return self.kind == "job"

    @property
    def dependency_names(self) -> list[str]:
        return [d.component for d in self.depends_on]


def _empty_if_none(value: Any) -> Any:
    return {} if value is None else value


class AppModel(_Frozen):
    """A whole `sealift.yaml`."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, serialize_by_alias=True, title="sealift.yaml"
    )

    schema_: Literal["sealift/v1"] = Field(alias="schema")
    name: Name
    version: SemVer
    omit_when_default = frozenset({"volumes"})

    description: str | None = None
    parameters: dict[ParameterName, Parameter] = {}
    volumes: dict[VolumeName, Annotated[SharedVolume, BeforeValidator(_empty_if_none)]] = {}
    """Shared volumes, declared once and mounted by name in several components."""
    components: dict[Name, Component] = Field(min_length=1)
