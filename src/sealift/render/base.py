"""What every rendering is given and what it gives back (pure: data in, files out).

A rendering turns one app version into files another tool runs (Helm, kubectl, Compose).
The operations layer (`sealift.market.rendering`) loads the version, resolves the parameter
values and the images, and writes the files; nothing here touches a disk or a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sealift.model.app import AppModel

ORIGINAL_IMAGE = "sealift.io/original-image"
"""Annotation (Kubernetes) / label (Compose) that keeps the image reference as published."""


@dataclass(frozen=True)
class ImageRef:
    """One component's image: pinned by digest, optionally relocated to the site's registry."""

    original: str
    """As published: `127.0.0.1:5055/shop/web:1.1.0@sha256:...`."""
    digest: str
    """The digest the site pulls: the component's index (every platform) or manifest."""
    path: str
    """The repository path in the site's registry: `<app>/<component>` (as `sealift push`
    and `sealift registry serve` name it)."""
    registry: str | None = None
    """`HOST[/PREFIX]` from `--registry`; None keeps the original repository."""
    platform_digest: str = ""
    """The image manifest for the chosen platform (a `docker load`ed image has no index)."""

    @property
    def original_repository(self) -> str:
        """The published reference without tag and digest: `127.0.0.1:5055/shop/web`."""
        name = self.original.split("@", 1)[0]
        slash = name.rfind("/")
        colon = name.rfind(":")
        return name[:colon] if colon > slash else name

    @property
    def repository(self) -> str:
        """Where the site pulls from: `<registry>/<app>/<component>`, or the original one."""
        if self.registry:
            return f"{self.registry.rstrip('/')}/{self.path}"
        return self.original_repository

    @property
    def reference(self) -> str:
        """`repository@digest`: what a manifest or compose file names."""
        return f"{self.repository}@{self.digest}"


@dataclass(frozen=True)
class RenderInput:
    model: AppModel
    """The app model as stored: `${param}` references still in place."""
    values: Mapping[str, str]
    """Parameter values as text (`params.resolve_values`). For one-set renderings
    (manifests, compose) every parameter has one, generated secrets included. For helm
    only the values given with --set/--values (they become the chart's defaults)."""
    images: Mapping[str, ImageRef]
    """Component name -> its image."""
    platform: str = "linux/amd64"
    registry: str | None = None


@dataclass(frozen=True)
class Rendering:
    files: dict[str, bytes]
    """Relative path (with `/`) -> content."""
    warnings: list[str] = field(default_factory=list)
    """What the target cannot express; also written into the rendering's README/NOTES."""
    private: frozenset[str] = frozenset()
    """Paths that hold secret values: written with mode 0600."""


__all__ = ["ORIGINAL_IMAGE", "ImageRef", "RenderInput", "Rendering"]
