"""The container of a component: image, command, env, ports, probes, security, mounts."""

from __future__ import annotations

import math
import re
from typing import Any

from sealift.model.app import Component, ConfigFile, Health, Security
from sealift.render.base import ImageRef
from sealift.render.kube.context import Build
from sealift.render.kube.expr import HelmExprs, Piece, go_string

CONFIG_VOLUME = "sealift-config"
SECRET_VOLUME = "sealift-secret"
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
_NUMERIC_USER = re.compile(r"^(\d+)(?::(\d+))?$")


def port_name(port: int, protocol: str, name: str | None) -> str:
    """The model's port name when Kubernetes accepts it (an IANA service name), else
    `tcp-8080`."""
    if name and _PORT_NAME.match(name) and "--" not in name:
        return name
    return f"{protocol}-{port}"


def container(b: Build, name: str, spec: Component) -> dict[str, Any]:
    helpers: dict[str, dict[str, Any]] = {}
    env = [_env(b, key, value, helpers) for key, value in spec.env.items()]
    out: dict[str, Any] = {"name": name, "image": image(b, b.inp.images[name])}
    if spec.entrypoint is not None:
        out["command"] = [_text(b, item, helpers) for item in spec.entrypoint]
    if spec.command is not None:
        out["args"] = [_text(b, item, helpers) for item in spec.command]
    if spec.working_dir:
        out["workingDir"] = spec.working_dir
    if env or helpers:
        out["env"] = list(helpers.values()) + env
    if spec.ports:
        out["ports"] = [_port(p.port, p.protocol, p.name) for p in spec.ports]
    out["resources"] = b.ex.block(("components", name, "resources"))
    out.update(probes(spec.health) if spec.health else {})
    security = security_context(b, name, spec.security, spec.user)
    if security:
        out["securityContext"] = security
    mounts = volume_mounts(b, spec)
    return {**out, "volumeMounts": mounts} if mounts else out


def image(b: Build, ref: ImageRef) -> Any:
    if not isinstance(b.ex, HelmExprs):
        return f"{ref.original_repository}@{ref.digest}"
    registry = '(trimSuffix "/" .Values.imageRegistry)'
    relocated = f'printf "%s/%s@%s" {registry} {go_string(ref.path)} {go_string(ref.digest)}'
    original = go_string(f"{ref.original_repository}@{ref.digest}")
    return b.ex.tokens.scalar(
        f"{{{{ if .Values.imageRegistry }}}}{{{{ {relocated} | quote }}}}"
        f"{{{{ else }}}}{{{{ {original} }}}}{{{{ end }}}}"
    )


def _helper_name(parameter: str) -> str:
    return f"SEALIFT_PARAM_{parameter}"


def _secret_ref(b: Build, parameter: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": b.parameters_secret, "key": parameter}}


def _expand(b: Build, parts: list[Piece], helpers: dict[str, dict[str, Any]]) -> list[Piece]:
    """Secret parameters become `$(SEALIFT_PARAM_x)`, set from the parameters' Secret."""
    out: list[Piece] = []
    for value, kind in parts:
        if kind == "secret":
            helpers[value] = {"name": _helper_name(value), "valueFrom": _secret_ref(b, value)}
            out.append((f"$({_helper_name(value)})", "raw"))
        else:
            out.append((value, kind))
    return out


def _text(b: Build, text: str, helpers: dict[str, dict[str, Any]]) -> Any:
    return b.ex.text(_expand(b, b.parts(text), helpers), escape=True)


def _env(b: Build, key: str, value: str, helpers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    parts = b.parts(value)
    if len(parts) == 1 and parts[0][1] == "secret":
        return {"name": key, "valueFrom": _secret_ref(b, parts[0][0])}
    return {"name": key, "value": _text(b, value, helpers)}


def _port(port: int, protocol: str, name: str | None) -> dict[str, Any]:
    return {
        "name": port_name(port, protocol, name),
        "containerPort": port,
        "protocol": protocol.upper(),
    }


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def probes(health: Health) -> dict[str, Any]:
    """Readiness and liveness from the health check; a startupProbe covers start_period."""
    check = _check(health)
    period = _seconds(health.interval)
    timing = {
        "periodSeconds": period,
        "timeoutSeconds": _seconds(health.timeout),
        "failureThreshold": health.retries,
    }
    out = {"readinessProbe": {**_check(health), **timing}, "livenessProbe": {**check, **timing}}
    if health.start_period > 0:
        grace = math.ceil(health.start_period / period) + health.retries
        out["startupProbe"] = {**_check(health), **timing, "failureThreshold": grace}
    return out


def _check(health: Health) -> dict[str, Any]:
    if health.http is not None:
        get: dict[str, Any] = {"path": health.http.path, "port": health.http.port}
        if health.http.headers:
            get["httpHeaders"] = [{"name": k, "value": v} for k, v in health.http.headers.items()]
        return {"httpGet": get}
    if health.tcp is not None:
        return {"tcpSocket": {"port": health.tcp.port}}
    assert health.exec is not None
    return {"exec": {"command": list(health.exec.command)}}


def security_context(
    b: Build, name: str, security: Security | None, user: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = _user(b, name, user)
    if security is None:
        return out
    if security.read_only_root:
        out["readOnlyRootFilesystem"] = True
    caps = {k: v for k, v in (("drop", security.cap_drop), ("add", security.cap_add)) if v}
    if caps:
        out["capabilities"] = caps
    if security.no_new_privileges:
        out["allowPrivilegeEscalation"] = False
    if security.run_as_non_root:
        out["runAsNonRoot"] = True
    return out


def _user(b: Build, name: str, user: str | None) -> dict[str, Any]:
    if not user:
        return {}
    found = _NUMERIC_USER.match(user)
    if found is None:
        b.warn(
            f"{name} runs as user {user!r}: Kubernetes needs a numeric uid, so the image's "
            "user applies; give user as UID[:GID] in the app model"
        )
        return {}
    out = {"runAsUser": int(found.group(1))}
    return {**out, "runAsGroup": int(found.group(2))} if found.group(2) else out


# -- files and volumes ---------------------------------------------------------------------


def config_key(index: int) -> str:
    return f"file-{index}"


def is_secret_config(b: Build, config: ConfigFile) -> bool:
    """A secret config, or one whose content names a secret parameter: kept in a Secret."""
    return config.secret or any(kind == "secret" for _, kind in b.parts(config.content))


def volume_mounts(b: Build, spec: Component) -> list[dict[str, Any]]:
    mounts = []
    for index, config in enumerate(spec.configs):
        volume = SECRET_VOLUME if is_secret_config(b, config) else CONFIG_VOLUME
        mounts.append(
            {
                "name": volume,
                "mountPath": config.path,
                "subPath": config_key(index),
                "readOnly": True,
            }
        )
    for mount in spec.volumes:
        item: dict[str, Any] = {"name": data_volume(b, mount.name), "mountPath": mount.path}
        if mount.subpath:
            item["subPath"] = mount.subpath
        mounts.append({**item, "readOnly": True} if mount.read_only else item)
    return mounts


def data_volume(b: Build, volume: str) -> str:
    return f"shared-{volume}" if volume in b.inp.model.volumes else volume
