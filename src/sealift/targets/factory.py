"""Pick a target driver by name. Drivers are imported on demand, so the layers above never
import a driver's client library (docker-py, ...) themselves."""

from __future__ import annotations

import importlib
from typing import Any, cast

from sealift.errors import DeployError
from sealift.targets.base import Target

DRIVERS = {
    "docker": ("sealift.targets.docker.target", "DockerTarget", "DockerSettings"),
    "systemd": ("sealift.targets.systemd.target", "SystemdTarget", "SystemdSettings"),
}


def get_target(name: str = "docker", **settings: Any) -> Target:
    """The driver `name`, configured with `settings` (e.g. settle=1.0 for docker)."""
    module_name, class_name, settings_name = _driver_of(name)
    module = importlib.import_module(module_name)
    driver: Target = getattr(module, class_name)(getattr(module, settings_name)(**settings))
    return driver


def deferred_target(name: str = "docker", **settings: Any) -> Target:
    """The driver `name`, imported and made on first use: a view that never reaches the
    target (`history`) does not import its client library."""
    _driver_of(name)
    return cast("Target", _Deferred(name, settings))


def _driver_of(name: str) -> tuple[str, str, str]:
    if name not in DRIVERS:
        raise DeployError(f"unknown target {name!r}; available: {', '.join(sorted(DRIVERS))}")
    return DRIVERS[name]


class _Deferred:
    def __init__(self, name: str, settings: dict[str, Any]) -> None:
        self.name = name  # known without importing the driver
        self._name = name
        self._settings = settings
        self._driver: Target | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._driver is None:
            self._driver = get_target(self._name, **self._settings)
        return getattr(self._driver, attribute)
