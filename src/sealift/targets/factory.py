"""Pick a target driver by name. Drivers are imported on demand, so the layers above never
import a driver's client library (docker-py, ...) themselves."""

from __future__ import annotations

import importlib
from typing import Any

from sealift.errors import DeployError
from sealift.targets.base import Target

DRIVERS = {"docker": ("sealift.targets.docker.target", "DockerTarget", "DockerSettings")}


def get_target(name: str = "docker", **settings: Any) -> Target:
    """The driver `name`, configured with `settings` (e.g. settle=1.0 for docker)."""
    if name not in DRIVERS:
        raise DeployError(f"unknown target {name!r}; available: {', '.join(sorted(DRIVERS))}")
    module_name, class_name, settings_name = DRIVERS[name]
    module = importlib.import_module(module_name)
    driver: Target = getattr(module, class_name)(getattr(module, settings_name)(**settings))
    return driver
