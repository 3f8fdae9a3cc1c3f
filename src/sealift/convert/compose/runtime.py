"""How a service runs: restart policy, what it waits for, jobs, and security settings."""

from __future__ import annotations

from typing import Any

from sealift.convert.compose.context import ComposeContext
from sealift.convert.compose.shapes import string_list
from sealift.convert.documents import expect_map, scalar_text
from sealift.errors import ConvertError

Component = dict[str, Any]

_RESTART = {
    "no": "no",
    "false": "no",
    "always": "always",
    "on-failure": "on-failure",
    "unless-stopped": "unless-stopped",
}
_RESTART_CONDITION = {"none": "no", "on-failure": "on-failure", "any": "always"}
_CONDITIONS = {
    "service_started": "started",
    "service_healthy": "healthy",
    "service_completed_successfully": "completed",
}
_SECURITY_KEYS = ("read_only", "cap_add", "cap_drop", "security_opt")


def jobs_of(services: dict[str, Any]) -> set[str]:
    """Services some other service waits for with `service_completed_successfully`."""
    jobs = set()
    for body in services.values():
        for name, spec in (body.get("depends_on") or {}).items():
            if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully":
                jobs.add(name)
    return jobs


def restart(body: dict[str, Any], ctx: ComposeContext, where: str) -> str:
    """Compose's default is `no`: written out, so it never becomes the model's default."""
    if "restart" in body:
        value = ctx.interp.literal(scalar_text(body["restart"]), f"{where}.restart")
        policy, _, count = value.partition(":")
        if policy not in _RESTART:
            raise ConvertError(f"{where}.restart: unknown policy {value!r}")
        if count:
            ctx.warn(f"{where}.restart: the retry limit {count} is not carried")
        return _RESTART[policy]
    deploy = expect_map(body.get("deploy"), where)
    condition = expect_map(deploy.get("restart_policy"), where).get("condition")
    return _RESTART_CONDITION.get(scalar_text(condition), "no") if condition else "no"


def depends_on(
    body: dict[str, Any], names: dict[str, str], ctx: ComposeContext, where: str
) -> list[Any]:
    """Names (condition healthy) and `{component, condition}` items (started, completed)."""
    result: list[Any] = []
    for dependency, raw in (body.get("depends_on") or {}).items():
        spot = f"{where}.depends_on.{dependency}"
        spec = expect_map(raw, spot)
        if dependency not in names:
            ctx.warn(f"{spot}: no service named {dependency!r}; left out")
            continue
        condition = scalar_text(spec.get("condition", "service_started"))
        if condition not in _CONDITIONS:
            raise ConvertError(f"{spot}.condition: unknown condition {condition!r}; fix the file")
        lost = [k for k in spec if k not in ("condition", "required")]
        if spec.get("required") is False:
            lost.append("required: false (it is always waited for)")
        if lost:
            ctx.warn(f"{spot}: not mapped: {', '.join(lost)}")
        item = _dependency(names[dependency], _CONDITIONS[condition])
        if item not in result:
            result.append(item)
    return result


def _dependency(component: str, condition: str) -> Any:
    if condition == "healthy":
        return component
    return {"component": component, "condition": condition}


def make_job(component: Component, ctx: ComposeContext, where: str) -> None:
    """A service others wait to complete: `kind: job`, run once, nothing published."""
    ordered = {"kind": "job", **component}
    component.clear()
    component.update(ordered)
    if component.get("restart") not in ("no", "on-failure"):
        ctx.warn(
            f"{where}: runs to completion (others wait for it with "
            f"service_completed_successfully); restart {component.get('restart')} "
            "became on-failure"
        )
        component["restart"] = "on-failure"
    if component.get("replicas", 1) != 1:
        ctx.warn(f"{where}: a job runs once; replicas {component['replicas']} became 1")
        component.pop("replicas")
    for port in component.get("ports", []):
        if port.pop("expose", None):
            port.pop("host_port", None)
            ctx.warn(f"{where}: a job publishes no port; port {port['port']} stays internal")


def security(body: dict[str, Any], ctx: ComposeContext, where: str) -> dict[str, Any]:
    """`read_only`, `cap_add`, `cap_drop` and `security_opt: [no-new-privileges...]`."""
    settings: dict[str, Any] = {}
    body = ctx.interp.resolve_tree({k: body[k] for k in _SECURITY_KEYS if k in body}, where)
    if _truthy(body.get("read_only")):
        settings["read_only_root"] = True
    for key in ("cap_drop", "cap_add"):
        caps = string_list(body.get(key), f"{where}.{key}")
        if caps:
            settings[key] = [cap.upper().removeprefix("CAP_") for cap in caps]
    lost = []
    for option in string_list(body.get("security_opt"), f"{where}.security_opt"):
        if option.replace("=", ":") in ("no-new-privileges", "no-new-privileges:true"):
            settings["no_new_privileges"] = True
        else:
            lost.append(option)
    if lost:
        ctx.warn(f"{where}.security_opt: not mapped: {', '.join(lost)}")
    return settings


def _truthy(value: Any) -> bool:
    return value is True or scalar_text(value).lower() == "true"
