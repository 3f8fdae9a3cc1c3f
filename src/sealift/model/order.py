"""In which order components start: every component after the ones it depends on."""

from __future__ import annotations

from sealift.errors import ModelError
from sealift.model.app import AppModel


def start_order(model: AppModel) -> list[list[str]]:
    """Dependency levels, each sorted: a component depends only on earlier levels."""
    waiting = {name: set(spec.dependency_names) for name, spec in model.components.items()}
    started: set[str] = set()
    levels: list[list[str]] = []
    while waiting:
        ready = sorted(name for name, deps in waiting.items() if deps <= started)
        if not ready:
            stuck = ", ".join(sorted(waiting))
            raise ModelError([f"components {stuck} depend on each other in a cycle"], model.name)
        levels.append(ready)
        started.update(ready)
        for name in ready:
            del waiting[name]
    return levels
