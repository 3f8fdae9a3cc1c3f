"""Pod and container `securityContext` -> `user` and `security`; what has no equivalent is named."""

from __future__ import annotations

from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext

_MAPPED = {
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities",
    "fsGroup",
}
_HARMLESS = {"fsGroupChangePolicy"}


def merged_context(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """The container's settings over the pod's (as Kubernetes applies them)."""
    return {
        **expect_map(pod.get("securityContext"), "pod.securityContext"),
        **expect_map(container.get("securityContext"), "container.securityContext"),
    }


def user(context: dict[str, Any]) -> str | None:
    """`runAsUser`/`runAsGroup` -> `uid[:gid]`."""
    if context.get("runAsUser") is None:
        return None
    group = context.get("runAsGroup")
    return f"{context['runAsUser']}" + (f":{group}" if group is not None else "")


def security(context: dict[str, Any], ctx: KubeContext, where: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if context.get("readOnlyRootFilesystem") is True:
        settings["read_only_root"] = True
    capabilities = expect_map(context.get("capabilities"), f"{where}.capabilities")
    for key, field in (("drop", "cap_drop"), ("add", "cap_add")):
        caps = [scalar_text(c) for c in expect_list(capabilities.get(key), f"{where}.{key}")]
        if caps:
            settings[field] = [cap.upper().removeprefix("CAP_") for cap in caps]
    if context.get("allowPrivilegeEscalation") is False:
        settings["no_new_privileges"] = True
    if context.get("runAsNonRoot") is True:
        settings["run_as_non_root"] = True
    if context.get("runAsGroup") is not None and context.get("runAsUser") is None:
        ctx.warn(f"{where}: runAsGroup without runAsUser is not carried; set runAsUser too")
    lost = [f"securityContext.{k}" for k in context if k not in _MAPPED | _HARMLESS]
    if lost:
        ctx.warn(f"{where}: not mapped: {', '.join(sorted(lost))}")
    return settings


def apply_fs_group(
    component: dict[str, Any], context: dict[str, Any], ctx: KubeContext, where: str
) -> None:
    """`fsGroup`: config files get that group; volumes are not re-owned (said in a warning)."""
    group = context.get("fsGroup")
    if group is None:
        return
    for config in component.get("configs", []):
        config.setdefault("gid", int(group))
    if component.get("volumes"):
        ctx.warn(
            f"{where}: fsGroup {group}: the volumes are not given to group {group}; the "
            "image must own its data directories (config files get gid "
            f"{group})"
        )
