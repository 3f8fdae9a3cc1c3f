"""Pieces of a rendered spec that mean the same on every target (pure): a health check,
a config file, the security settings. A driver's render puts them in its own spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: views that read recorded specs skip pydantic
    from sealift.model.app import ConfigFile, Health, Security


def config_spec(config: ConfigFile) -> dict[str, Any]:
    spec: dict[str, Any] = {"path": config.path, "content": config.content, "mode": config.mode}
    extra = {"uid": config.uid, "gid": config.gid, "secret": config.secret or None}
    return {**spec, **{key: value for key, value in extra.items() if value is not None}}


def security_spec(security: Security) -> dict[str, Any]:
    """The settings that differ from the defaults (an empty dict when none do)."""
    return dict(security.model_dump(mode="json"))


def health_spec(health: Health | None) -> dict[str, Any] | None:
    if health is None:
        return None
    check: dict[str, Any]
    if health.http is not None:
        check = {"kind": "http", "port": health.http.port, "path": health.http.path}
        if health.http.headers:
            check["headers"] = dict(health.http.headers)
    elif health.tcp is not None:
        check = {"kind": "tcp", "port": health.tcp.port}
    else:
        assert health.exec is not None
        check = {"kind": "exec", "command": list(health.exec.command)}
    return {
        **check,
        "interval": health.interval,
        "timeout": health.timeout,
        "retries": health.retries,
        "start_period": health.start_period,
    }


def is_root(user: str) -> bool:
    """`user` (`name`, `uid`, `uid:gid`; empty = root) runs as uid 0."""
    name = user.partition(":")[0].strip()
    return name in ("", "0", "root")


def non_root_refusal(component: str, user: str, source: str) -> str:
    """Why run_as_non_root refuses `component` ('' if it does not)."""
    if not is_root(user):
        return ""
    return (
        f"component {component} must not run as root (security.run_as_non_root), but "
        f'{source} is {user or "root"}: set `user` to a non-root uid such as "1000:1000"'
    )
