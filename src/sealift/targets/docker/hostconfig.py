"""The engine's HostConfig of a component's containers: ports, mounts, restart policy,
limits and security settings, and the check of run_as_non_root against the image."""

from __future__ import annotations

from typing import Any

import docker

from sealift.errors import DeployError
from sealift.oci.engine import engine_errors
from sealift.targets.specs import non_root_refusal

JOB_RETRIES = 3  # a job with restart on-failure is run at most this many more times


def host_config(api: docker.APIClient, spec: dict[str, Any], binds: list[str]) -> dict[str, Any]:
    bindings: dict[int | str, Any] = {
        f"{p['port']}/{p['protocol']}": (p["host_ip"], p["host_port"]) for p in spec["ports"]
    }
    security = spec.get("security") or {}
    config: dict[str, Any] = api.create_host_config(
        port_bindings=bindings or None,
        binds=binds or None,
        restart_policy=restart_policy(spec),
        init=True,
        nano_cpus=spec["nano_cpus"],
        mem_limit=spec["memory"],
        read_only=bool(security.get("read_only_root")) or None,
        cap_drop=security.get("cap_drop") or None,
        cap_add=security.get("cap_add") or None,
        security_opt=["no-new-privileges:true"] if security.get("no_new_privileges") else None,
    )
    return config


def restart_policy(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["restart"] == "no":
        return {"Name": ""}
    if spec.get("kind") == "job":  # on-failure, bounded so that a failing job ends
        return {"Name": "on-failure", "MaximumRetryCount": JOB_RETRIES}
    return {"Name": spec["restart"]}


def configs_in_volume(spec: dict[str, Any]) -> bool:
    """The engine cannot copy files into a read-only root filesystem: such a component's
    configs are bind-mounted from a volume (see mounts.py)."""
    return bool(spec["configs"]) and bool((spec.get("security") or {}).get("read_only_root"))


def check_non_root(
    client: docker.DockerClient, component: str, spec: dict[str, Any], image_id: str
) -> None:
    """run_as_non_root: the user of `spec`, else of the image, must not be root (uid 0)."""
    user = spec["user"] or ""
    source = "its user"
    if not user:
        with engine_errors(f"inspecting the image of {component}"):
            user = str(client.images.get(image_id).attrs.get("Config", {}).get("User") or "")
        source = "its image's user" if user else "its image (no user set)"
    refusal = non_root_refusal(component, user, source)
    if refusal:
        raise DeployError(refusal)
