"""Labels that tie engine objects to an installation."""

from typing import Any

INSTALLATION = "dev.sealift.installation"
COMPONENT = "dev.sealift.component"
REVISION = "dev.sealift.revision"
SPEC_HASH = "dev.sealift.spec-hash"
REPLICA = "dev.sealift.replica"


def of_installation(instance: str) -> dict[str, Any]:
    """A docker-py `filters` argument selecting the objects of `instance`."""
    return {"label": [f"{INSTALLATION}={instance}"]}
