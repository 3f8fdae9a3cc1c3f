"""What every object builder is given: the input, how values are named, the warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sealift.errors import ModelError
from sealift.model.app import AppModel, Component
from sealift.model.params import secret_names
from sealift.model.template import pieces
from sealift.render.base import RenderInput
from sealift.render.kube.expr import Exprs, Piece

NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
COMPONENT = "app.kubernetes.io/component"
PUBLIC = "-public"


@dataclass
class Build:
    inp: RenderInput
    ex: Exprs
    warnings: list[str] = field(default_factory=list)

    @property
    def app(self) -> str:
        return self.inp.model.name

    @property
    def secrets(self) -> set[str]:
        return secret_names(self.inp.model)

    @property
    def parameters_secret(self) -> str:
        return f"{self.app}-parameters"

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def parts(self, text: str) -> list[Piece]:
        """A model text as pieces; a secret parameter is a `secret` piece."""
        return [
            (value, ("secret" if value in self.secrets else "param") if is_name else "lit")
            for value, is_name in pieces(text)
        ]

    def labels(self, component: str | None = None) -> dict[str, Any]:
        version = self.inp.model.version.replace("+", "_")[:63]
        labels: dict[str, Any] = {
            NAME: self.app,
            INSTANCE: self.ex.release,
            "app.kubernetes.io/version": version,
            "app.kubernetes.io/managed-by": self.ex.managed_by,
            "app.kubernetes.io/part-of": self.app,
        }
        return {**labels, COMPONENT: component} if component else labels

    def selector(self, component: str) -> dict[str, Any]:
        return {NAME: self.app, INSTANCE: self.ex.release, COMPONENT: component}

    def metadata(self, name: str, component: str | None = None) -> dict[str, Any]:
        return {"name": name, "labels": self.labels(component)}

    def is_stateful(self, spec: Component) -> bool:
        """A StatefulSet: `stateful: true`, or a private volume (one claim per replica)."""
        private = [v for v in spec.volumes if v.name not in self.inp.model.volumes]
        return not spec.is_job and (spec.stateful or bool(private))


def check_names(model: AppModel) -> None:
    """Kubernetes names a Service after its component: a DNS label starting with a letter,
    at most 63 characters with the `-public` of exposed ports."""
    problems = []
    for name, spec in model.components.items():
        if not name[0].isalpha():
            problems.append(f"component '{name}' must start with a letter to name a Service")
        elif any(p.expose for p in spec.ports) and len(name) > 63 - len(PUBLIC):
            problems.append(
                f"component '{name}' is too long for its Service '{name}{PUBLIC}' (at most "
                f"{63 - len(PUBLIC)} characters)"
            )
    if problems:
        raise ModelError([p + ": rename it in the app model" for p in problems], model.name)
