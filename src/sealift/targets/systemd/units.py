"""Unit files from a component's spec and how it launches (pure: text in, text out).

The [Unit] section carries `X-Sealift-*` keys (systemd ignores them) that tell, from the
unit file alone, whose it is: installation, component, revision, spec hash, image and the
ports it listens on. Dependencies are `After=` + `Wants=`, not `Requires=`: recreating a
dependency must not stop the components that depend on it (on Docker it does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sealift.errors import DeployError
from sealift.targets.systemd.paths import Places

DOCKER_CAPS = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SYS_CHROOT",
    "MKNOD",
    "AUDIT_WRITE",
    "SETFCAP",
]
"""The capabilities a Docker container gets by default: the same set here."""
RESTART = {"always": "always", "unless-stopped": "always", "on-failure": "on-failure", "no": "no"}
KEY = "X-Sealift-"


@dataclass(frozen=True)
class Launch:
    """How a component's process starts, resolved against its image and root directory."""

    root: str
    argv: list[str]
    env: dict[str, str]
    working_dir: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Owner:
    """Who a unit belongs to (its `X-Sealift-*` keys)."""

    instance: str
    component: str
    revision: int
    hash: str
    image: str = ""
    ports: tuple[int, ...] = ()
    role: str = "component"
    replicas: int = 1

    def unit_names(self, places: Places) -> list[str]:
        """The units that run: one, or `@1`...`@N` of a template."""
        name = places.unit_name(self.component, self.replicas)
        if self.replicas == 1:
            return [name]
        return [name.replace("@.", f"@{n}.") for n in range(1, self.replicas + 1)]


def quote(arg: str) -> str:
    """One argument of ExecStart= (C-style escapes in double quotes; `$` and `%` doubled)."""
    text = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + text.replace("%", "%%").replace("$", "$$") + '"'


def plain(value: str, what: str) -> str:
    """A path for a setting that takes it unquoted: refused if it has blanks or colons."""
    if any(c.isspace() or c == ":" for c in value):
        raise DeployError(f"{what} {value!r} has a blank or ':'; systemd cannot mount it")
    return value.replace("%", "%%")


def env_file(env: dict[str, str]) -> str:
    """An EnvironmentFile=: one `KEY="value"` a line, escaped for systemd's parser."""
    lines = []
    for key, value in env.items():
        escaped = "".join("\\" + c if c in '\\"$`' else c for c in value)
        lines.append(f'{key}="{escaped}"')
    return "".join(line + "\n" for line in lines)


def owner_keys(owner: Owner) -> list[str]:
    lines = [
        f"{KEY}Installation={owner.instance}",
        f"{KEY}Component={owner.component}",
        f"{KEY}Role={owner.role}",
        f"{KEY}Revision={owner.revision}",
        f"{KEY}Hash={owner.hash}",
        f"{KEY}Replicas={owner.replicas}",
    ]
    if owner.image:
        lines.append(f"{KEY}Image={owner.image}")
    if owner.ports:
        lines.append(f"{KEY}Ports={' '.join(str(p) for p in owner.ports)}")
    return lines


def read_owner(text: str) -> Owner | None:
    """The owner written by owner_keys, or None for a unit that is not sealift's."""
    keys: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith(KEY) and "=" in line:
            name, _, value = line[len(KEY) :].partition("=")
            keys[name] = value.strip()
    if "Installation" not in keys or "Component" not in keys:
        return None
    return Owner(
        keys["Installation"],
        keys["Component"],
        int(keys.get("Revision", "0") or 0),
        keys.get("Hash", ""),
        keys.get("Image", ""),
        tuple(int(p) for p in keys.get("Ports", "").split()),
        keys.get("Role", "component"),
        int(keys.get("Replicas", "1") or 1),
    )


def service_unit(places: Places, owner: Owner, spec: dict[str, Any], launch: Launch) -> str:
    """The unit of a component (a template when it has several replicas)."""
    name = owner.component
    after = [places.unit_name(d, 1) for d in spec.get("after", [])]
    unit = [
        "[Unit]",
        f"Description=sealift {owner.instance} {name}",
        *owner_keys(owner),
        *(["After=" + " ".join(after), "Wants=" + " ".join(after)] if after else []),
        *(["StartLimitIntervalSec=0"] if spec.get("kind") != "job" else []),
        "",
        "[Service]",
        *_kind(spec),
        *_root(places, name, spec, launch),
        *_process(places, owner, spec, launch),
        *_limits(spec),
        *_security(spec),
    ]
    enabled = spec.get("kind") != "job" and spec["restart"] != "no"
    install = ["", "[Install]", "WantedBy=multi-user.target"] if enabled else []
    return _lines([*unit, *install])


def _kind(spec: dict[str, Any]) -> list[str]:
    """As on Docker: restarted for ever (no start limit), 10 s to stop before SIGKILL."""
    if spec.get("kind") == "job":
        return ["Type=oneshot", "RemainAfterExit=yes", "TimeoutStopSec=10"]
    restart = f"Restart={RESTART[spec['restart']]}"
    return ["Type=simple", restart, "RestartSec=1", "TimeoutStopSec=10"]


def _root(places: Places, component: str, spec: dict[str, Any], launch: Launch) -> list[str]:
    lines = [
        f"RootDirectory={plain(launch.root, 'the root directory')}",
        "MountAPIVFS=yes",
        f"BindReadOnlyPaths={plain(str(places.hosts), 'the hosts file')}:/etc/hosts",
    ]
    for i, config in enumerate(spec["configs"]):
        source = plain(str(places.configs(component) / str(i)), "a config file")
        lines.append(f"BindReadOnlyPaths={source}:{plain(config['path'], 'config path')}")
    for mount in spec["volumes"]:
        source = places.volume(mount["name"]) / mount.get("subpath", "")
        setting = "BindReadOnlyPaths" if mount.get("read_only") else "BindPaths"
        destination = plain(mount["path"], "volume path")
        lines.append(f"{setting}={plain(str(source).rstrip('/'), 'a volume')}:{destination}")
    return lines


def _process(places: Places, owner: Owner, spec: dict[str, Any], launch: Launch) -> list[str]:
    suffix = "-%i" if int(spec["replicas"]) > 1 else ""
    return [
        f"EnvironmentFile={plain(str(places.env_file(owner.component)), 'the environment')}",
        f"WorkingDirectory={plain(launch.working_dir, 'the working directory')}",
        f"User={launch.uid}",
        f"Group={launch.gid}",
        "ExecStart=" + " ".join(quote(a) for a in launch.argv),
        "StandardOutput=journal",
        "StandardError=journal",
        f"SyslogIdentifier={owner.instance}-{owner.component}{suffix}",
    ]


def _limits(spec: dict[str, Any]) -> list[str]:
    lines = []
    if spec.get("memory"):
        lines.append(f"MemoryMax={int(spec['memory'])}")
    if spec.get("cpu_quota"):
        lines.append(f"CPUQuota={int(spec['cpu_quota'])}%")
    return lines


def capabilities(security: dict[str, Any]) -> list[str]:
    """Docker's default set, less cap_drop (ALL: every one), plus cap_add."""
    drop = set(security.get("cap_drop") or [])
    kept = [] if "ALL" in drop else [c for c in DOCKER_CAPS if c not in drop]
    added = [c for c in security.get("cap_add") or [] if c not in kept]
    return sorted(f"CAP_{c}" for c in [*kept, *added])


def _security(spec: dict[str, Any]) -> list[str]:
    security = spec.get("security") or {}
    caps = capabilities(security)
    lines = ["CapabilityBoundingSet=" + " ".join(caps) if caps else "CapabilityBoundingSet="]
    if security.get("no_new_privileges"):
        lines.append("NoNewPrivileges=yes")
    if security.get("read_only_root"):  # ReadOnlyPaths=/ leaves a RootDirectory= writable
        lines.append("ProtectSystem=strict")
    return lines


def proxy_units(places: Places, owner: Owner, port: dict[str, Any], proxyd: str) -> dict[str, str]:
    """A socket unit on the host port and the systemd-socket-proxyd service it starts,
    which forwards each connection to the component's own port on 127.0.0.1."""
    name = places.proxy_name(owner.component, int(port["host_port"]))
    address = port["host_ip"] or "0.0.0.0"
    address = f"[{address}]" if ":" in address else address
    proxy = Owner(
        owner.instance,
        owner.component,
        owner.revision,
        owner.hash,
        "",
        (int(port["host_port"]),),
        "proxy",
    )
    keys = owner_keys(proxy)
    socket = [
        "[Unit]",
        f"Description=sealift {owner.instance} {owner.component}: port {port['host_port']}",
        *keys,
        "",
        "[Socket]",
        f"ListenStream={address}:{port['host_port']}",
        "",
        "[Install]",
        "WantedBy=sockets.target",
    ]
    service = [
        "[Unit]",
        f"Description=sealift {owner.instance} {owner.component}: forward port {port['host_port']}",
        *keys,
        f"After={places.unit_name(owner.component)}",
        "",
        "[Service]",
        f"ExecStart={quote(proxyd)} {quote('127.0.0.1:' + str(port['port']))}",
        "PrivateTmp=yes",
    ]
    return {f"{name}.socket": _lines(socket), f"{name}.service": _lines(service)}


def _lines(lines: Iterable[str]) -> str:
    return "\n".join(lines) + "\n"


def for_verify(text: str) -> str:
    """The unit as `systemd-analyze --root=<root> verify` can check it inside the component's
    root directory: no default dependencies, no dependencies on the other units."""
    kept = [line for line in text.splitlines() if not line.startswith(("After=", "Wants="))]
    at = kept.index("[Unit]") + 1
    return _lines([*kept[:at], "DefaultDependencies=no", *kept[at:]])


def host_command(text: str) -> str:
    """The unit with its ExecStart= command replaced by /bin/sh (its arguments kept)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("ExecStart="):
            rest = _after_first(line[len("ExecStart=") :])
            lines[i] = "ExecStart=" + quote("/bin/sh") + (" " + rest if rest else "")
    return _lines(lines)


def _after_first(args: str) -> str:
    """What follows the first quoted argument of an ExecStart= (as `quote` writes them)."""
    i = 1
    while i < len(args):
        if args[i] == "\\":
            i += 2
        elif args[i] == '"':
            return args[i + 1 :].lstrip()
        else:
            i += 1
    return ""
