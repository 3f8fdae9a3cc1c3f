"""Labels that tie engine objects to an installation."""

from typing import Any

INSTALLATION = "dev.sealift.installation"
COMPONENT = "dev.sealift.component"
REVISION = "dev.sealift.revision"
SPEC_HASH = "dev.sealift.spec-hash"
REPLICA = "dev.sealift.replica"
ROLE = "dev.sealift.role"  # "configs": a volume of config files; "helper": never started
VOLUME = "dev.sealift.volume"
"""A volume's identity in its installation: `component/volume` for a private volume,
`volume` for a shared one (a mount marked `shared` in the spec). Engine names join names
with '-', which can collide; this label cannot (see ownership.py)."""


def of_installation(instance: str) -> dict[str, Any]:
    """A docker-py `filters` argument selecting the objects of `instance`."""
    return {"label": [f"{INSTALLATION}={instance}"]}


def volume_labels(instance: str, component: str, mount: dict[str, Any]) -> dict[str, str]:
    """The labels of the engine volume behind `mount` of `component`."""
    name = str(mount["name"])
    if mount.get("shared"):
        return {INSTALLATION: instance, VOLUME: name.removeprefix(f"{instance}-")}
    volume = name.removeprefix(f"{instance}-{component}-")
    return {INSTALLATION: instance, COMPONENT: component, VOLUME: f"{component}/{volume}"}
