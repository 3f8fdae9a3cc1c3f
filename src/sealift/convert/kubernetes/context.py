"""What a Kubernetes conversion shares: the objects, the parameters made, the warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sealift.convert.kubernetes.objects import Objects
from sealift.convert.naming import parameter_name


@dataclass
class KubeContext:
    objects: Objects
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def secret_parameter(self, secret: str, key: str) -> str | None:
        """`${param}` for a Secret key (the parameter is made once, secret, with its value)."""
        data = self.objects.secrets.get(secret)
        if data is None or key not in data:
            return None
        name = parameter_name(f"{secret}_{key}")
        self.parameters.setdefault(
            name,
            {
                "secret": True,
                "default": data[key],
                "description": f"key {key} of Secret {secret}",
            },
        )
        return "${" + name + "}"
