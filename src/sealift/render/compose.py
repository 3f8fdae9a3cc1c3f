"""An app version -> a Compose file, its `.env` and its config files. Pure.

The file is the Compose Specification as docker-compose 1.29 reads it (no `version:` key,
no `name:` key: the project's name is COMPOSE_PROJECT_NAME in `.env`): one network, on
which every service is found by its name; healthchecks; `depends_on` with conditions;
named volumes (`<volume>` when shared, `<component>-<volume>` when private); config files
bind-mounted read-only and secret ones as Compose secrets (both are files beside the
Compose file, whose mode and owner `file_modes` lists: docker-compose 1.29 ignores the
`mode`, `uid` and `gid` of a secret and has no `configs` outside a swarm); limits under
`deploy.resources`; restart policies; published ports from the parameters
(`${public_port:-8080}`), bound to `${SEALIFT_BIND_ADDRESS:-0.0.0.0}`.

What Compose 1.29 cannot express is named in `warnings`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sealift.errors import ModelError
from sealift.model.template import references, substitute
from sealift.render import composetext as text
from sealift.render.base import ORIGINAL_IMAGE, Rendering, RenderInput
from sealift.yamltext import dump_yaml

if TYPE_CHECKING:
    from sealift.model.app import AppModel, Component, ConfigFile, Dependency, Port, Volume

COMPOSE_FILE = "docker-compose.yml"
ENV_FILE = ".env"
NETWORK = "app"
BIND_VARIABLE = "SEALIFT_BIND_ADDRESS"
JOB_RETRIES = 3  # as the Docker target: a job with restart on-failure runs at most 3 more times
_CONDITIONS = {
    "started": "service_started",
    "healthy": "service_healthy",
    "completed": "service_completed_successfully",
}


@dataclass(frozen=True)
class FileMode:
    """How a rendered file must be on the site's disk (a bind mount shows it as it is)."""

    path: str
    mode: str
    uid: int | None = None
    gid: int | None = None
    secret: bool = False


@dataclass(frozen=True)
class ComposeOptions:
    """`images`: component -> the image reference the site runs. `later`: parameters left
    empty in `.env`, to be made at the site (generated secrets). `pull_never`: the images
    are loaded beside the file (a package), Compose must never pull them."""

    images: Mapping[str, str]
    originals: Mapping[str, str] = field(default_factory=dict)
    """Component -> the image reference as published (kept in a label)."""
    later: Collection[str] = ()
    pull_never: bool = False
    project: str | None = None


@dataclass
class ComposeRendering:
    files: dict[str, bytes] = field(default_factory=dict)
    file_modes: list[FileMode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def render_compose(inp: RenderInput) -> Rendering:
    """`sealift render --as compose`: images pinned by digest (relocated with --registry)."""
    options = ComposeOptions(
        images={name: ref.reference for name, ref in inp.images.items()},
        originals={name: ref.original for name, ref in inp.images.items()},
    )
    out = compose_files(inp.model, inp.values, options)
    out.files["README.md"] = readme(inp.model, out).encode()
    private = {ENV_FILE} | {m.path for m in out.file_modes if m.secret}
    return Rendering(out.files, out.warnings, frozenset(private))


def readme(model: AppModel, out: ComposeRendering, install: str = "") -> str:
    """How to run the rendering; the files' modes and owners; what Compose cannot do."""
    lines = [
        f"# {model.name} {model.version} for Docker Compose",
        "",
        model.description or "",
        "",
        f"Values of the parameters are in `{ENV_FILE}` (edit them there).",
        "",
        install
        or "Start it with `docker-compose up -d` in this directory (Compose 1.29 or later, "
        "or `docker compose`); stop it with `docker-compose down`, which keeps the volumes.",
    ]
    if out.file_modes:
        lines += ["", "Config files are mounted as they are on disk: before the first start, run:"]
        lines += [""]
        lines += [f"    {command}" for command in permission_commands(out.file_modes)]
    if out.warnings:
        lines += ["", "## What Compose cannot express", ""]
        lines += [f"- {warning}" for warning in out.warnings]
    return "\n".join(lines) + "\n"


def permission_commands(modes: list[FileMode]) -> list[str]:
    """Shell commands that give every config file its mode and owner."""
    commands = []
    for item in modes:
        path = shlex.quote(item.path)
        commands.append(f"chmod {item.mode} {path}")
        if item.uid is not None or item.gid is not None:
            owner = f"{'' if item.uid is None else item.uid}"
            owner += f":{item.gid}" if item.gid is not None else ""
            commands.append(f"chown {owner} {path}")
    return commands


def compose_files(
    model: AppModel, values: Mapping[str, str], options: ComposeOptions
) -> ComposeRendering:
    """`model` as written (with `${name}` references); `values` of every parameter."""
    _check_names(model)
    out = ComposeRendering()
    inline = {n for n, v in values.items() if text.needs_inline(v) and n not in options.later}
    writer = _Writer(model, values, inline, options, out)
    document = writer.document()
    head = (
        f"# {model.name} {model.version}, rendered by sealift. Values are in {ENV_FILE}.\n"
        "# Start: docker-compose up -d     Stop (keeps the volumes): docker-compose down\n"
    )
    out.files[COMPOSE_FILE] = (head + dump_yaml(document)).encode()
    settings = {"COMPOSE_PROJECT_NAME": options.project or model.name, BIND_VARIABLE: "0.0.0.0"}
    env_values = {n: ("" if n in options.later else values.get(n, "")) for n in model.parameters}
    descriptions = {n: p.description or "" for n, p in model.parameters.items()}
    out.files[ENV_FILE] = text.dotenv(settings, env_values, descriptions, inline).encode()
    return out


class _Writer:
    def __init__(
        self,
        model: AppModel,
        values: Mapping[str, str],
        inline: Collection[str],
        options: ComposeOptions,
        out: ComposeRendering,
    ) -> None:
        self.model, self.values, self.inline = model, values, inline
        self.options, self.out = options, out
        self.volumes: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, str]] = {}

    def document(self) -> dict[str, Any]:
        services = {name: self.service(name, c) for name, c in self.model.components.items()}
        doc: dict[str, Any] = {"services": services, "networks": {NETWORK: {}}}
        if self.volumes:
            doc["volumes"] = self.volumes
        if self.secrets:
            doc["secrets"] = self.secrets
        return doc

    def t(self, value: str) -> str:
        return text.templated(value, self.values, self.inline)

    def service(self, name: str, comp: Component) -> dict[str, Any]:
        spec: dict[str, Any] = {"image": text.literal(self.options.images[name])}
        if self.options.pull_never:
            spec["pull_policy"] = "never"
        spec.update(self.process(comp))
        spec["networks"] = [NETWORK]
        spec.update(_optional(ports=self.ports(comp.ports)))
        spec.update(_optional(depends_on=self.depends_on(comp.depends_on)))
        if comp.health is not None:
            spec["healthcheck"] = text.healthcheck(comp.health)
        spec.update(_optional(deploy=self.deploy(comp)))
        spec["restart"] = _restart(comp)
        spec["init"] = True
        spec.update(self.security(name, comp))
        mounts = self.mounts(name, comp.volumes)
        mounts += [self.config(name, c) for c in comp.configs if not c.secret]
        spec.update(_optional(volumes=mounts))
        spec.update(_optional(secrets=[self.secret(name, c) for c in comp.configs if c.secret]))
        labels = {k: text.literal(v) for k, v in comp.labels.items()}
        if name in self.options.originals:
            labels[ORIGINAL_IMAGE] = text.literal(self.options.originals[name])
        spec.update(_optional(labels=labels))
        return spec

    def process(self, comp: Component) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if comp.entrypoint is not None:
            spec["entrypoint"] = [self.t(part) for part in comp.entrypoint]
        if comp.command is not None:
            spec["command"] = [self.t(part) for part in comp.command]
        if comp.env:
            spec["environment"] = {k: self.t(v) for k, v in comp.env.items()}
        if comp.working_dir:
            spec["working_dir"] = text.literal(comp.working_dir)
        if comp.user:
            spec["user"] = text.literal(comp.user)
        return spec

    def ports(self, ports: list[Port]) -> list[str]:
        published = []
        for port in ports:
            if not port.expose:
                continue
            host = port.host_port if port.host_port is not None else port.port
            host_text = text.host_port(host, self.values) if isinstance(host, str) else str(host)
            bind = "${" + BIND_VARIABLE + ":-0.0.0.0}"
            published.append(f"{bind}:{host_text}:{port.port}/{port.protocol}")
        return published

    def depends_on(self, deps: list[Dependency]) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for dep in deps:
            condition = dep.condition
            if condition == "healthy" and self.model.components[dep.component].health is None:
                condition = "started"  # the model's meaning of `healthy` without a check
            found[dep.component] = {"condition": _CONDITIONS[condition]}
        return found

    def deploy(self, comp: Component) -> dict[str, Any]:
        deploy: dict[str, Any] = {}
        if comp.replicas != 1:
            deploy["replicas"] = comp.replicas
        limits: dict[str, str] = {}
        if comp.resources is not None and comp.resources.cpu:
            limits["cpus"] = f"{comp.resources.cpu / 1000:g}"
        if comp.resources is not None and comp.resources.memory:
            limits["memory"] = text.memory(comp.resources.memory)
        if limits:
            deploy["resources"] = {"limits": limits}
        return deploy

    def security(self, name: str, comp: Component) -> dict[str, Any]:
        sec = comp.security
        if sec is None:
            return {}
        spec: dict[str, Any] = {}
        if sec.read_only_root:
            spec["read_only"] = True
        spec.update(_optional(cap_drop=list(sec.cap_drop), cap_add=list(sec.cap_add)))
        if sec.no_new_privileges:
            spec["security_opt"] = ["no-new-privileges:true"]
        if sec.run_as_non_root and not comp.user:
            self.out.warnings.append(
                f"components.{name}.security.run_as_non_root: Compose cannot refuse to start "
                "as root; it runs as its image's user (set `user` to be sure)"
            )
        return spec

    def mounts(self, component: str, volumes: list[Volume]) -> list[dict[str, Any]]:
        found = []
        for index, volume in enumerate(volumes):
            where = f"components.{component}.volumes[{index}]"
            if volume.subpath is not None and _seen_through(volume, volumes):
                self.out.warnings.append(
                    f"{where}: docker-compose 1.29 cannot mount a part of a volume: "
                    f"{volume.path} is left to the mount of the whole volume above it"
                    + (" (not read-only)" if volume.read_only else "")
                )
                continue
            found.append(self.mount(component, where, volume))
        return found

    def mount(self, component: str, where: str, volume: Volume) -> dict[str, Any]:
        shared = volume.name in self.model.volumes
        name = volume.name if shared else f"{component}-{volume.name}"
        self.volumes.setdefault(name, {})
        mount: dict[str, Any] = {"type": "volume", "source": name, "target": volume.path}
        if volume.read_only:
            mount["read_only"] = True
        if volume.subpath is not None:
            self.out.warnings.append(
                f"{where}: docker-compose 1.29 cannot mount a part of a volume (subpath "
                f"{volume.subpath}): the whole volume {name} is mounted at {volume.path}"
            )
        return mount

    def content(self, config: ConfigFile) -> bytes:
        """Compose cannot fill files: their values are the ones known now (a parameter
        made later is never one a config refers to: see `config_parameters`)."""
        return substitute(config.content, self.values).encode()

    def place(self, folder: str, component: str, config: ConfigFile) -> str:
        path = f"{folder}/{component}{config.path}"
        self.out.files[path] = self.content(config)
        self.out.file_modes.append(
            FileMode(path, config.mode, config.uid, config.gid, secret=config.secret)
        )
        return path

    def config(self, component: str, config: ConfigFile) -> dict[str, Any]:
        path = self.place("configs", component, config)
        return {"type": "bind", "source": f"./{path}", "target": config.path, "read_only": True}

    def secret(self, component: str, config: ConfigFile) -> dict[str, str]:
        path = self.place("secrets", component, config)
        name = _secret_name(component, config.path, self.secrets)
        self.secrets[name] = {"file": f"./{path}"}
        return {"source": name, "target": config.path}


def _check_names(model: AppModel) -> None:
    """`.env` also sets docker-compose itself (COMPOSE_*, DOCKER_HOST, ...): a parameter of
    such a name would change what Compose does, not the app."""
    clashes = [
        f"parameter '{name}': a Compose file's variables named COMPOSE_*, DOCKER_* or "
        f"{BIND_VARIABLE} set Compose itself; rename the parameter"
        for name in model.parameters
        if name.startswith(("COMPOSE_", "DOCKER_")) or name == BIND_VARIABLE
    ]
    if clashes:
        raise ModelError(clashes, "parameters")


def config_parameters(model: AppModel) -> set[str]:
    """Parameters some config file refers to: their values are written into the files."""
    return {
        name
        for comp in model.components.values()
        for config in comp.configs
        for name in references(config.content)
    }


def _secret_name(component: str, path: str, taken: Collection[str]) -> str:
    base = f"{component}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', path).strip('-')}"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name


def _seen_through(mount: Volume, mounts: list[Volume]) -> bool:
    """Whether a whole-volume mount of the same volume already shows `mount`'s subpath at
    its path (`/html` + `config` = `/html/config`)."""
    return any(
        other.subpath is None
        and other.name == mount.name
        and f"{other.path.rstrip('/')}/{mount.subpath}" == mount.path.rstrip("/")
        for other in mounts
    )


def _restart(comp: Component) -> str:
    if comp.is_job and comp.restart == "on-failure":
        return f"on-failure:{JOB_RETRIES}"
    return comp.restart


def _optional(**items: Any) -> dict[str, Any]:
    """The items whose value is not empty."""
    return {key: value for key, value in items.items() if value}
