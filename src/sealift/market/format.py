"""How an app version is laid out in the store: one OCI index per version.

index (artifactType APP_ARTIFACT, annotated with app name and version)
├── model manifest (config = the normalized, pinned model as JSON)
├── image of component `web` (manifest or multi-platform index), annotated COMPONENT=web
└── image of component `api` ...
"""

from __future__ import annotations

from sealift.errors import UsageError

APP_ARTIFACT = "application/vnd.sealift.app.v1"
APP_CONFIG = "application/vnd.sealift.app.config.v1+json"

COMPONENT = "dev.sealift.component"
ROLE = "dev.sealift.role"
APP_NAME = "dev.sealift.app.name"
APP_VERSION = "dev.sealift.app.version"
CREATED = "org.opencontainers.image.created"


def version_ref(name: str, version: str) -> str:
    return f"{name}:{version}"


def component_ref(name: str, component: str, version: str) -> str:
    return f"{name}/{component}:{version}"


def split_ref(ref: str) -> tuple[str, str]:
    """`shop:1.0.0` -> ("shop", "1.0.0")."""
    name, sep, version = ref.partition(":")
    if not sep or not name or not version:
        raise UsageError(f"{ref!r} is not NAME:VERSION (for example shop:1.0.0)")
    return name, version


def owning_version(ref: str) -> str:
    """The app version a ref of index.json belongs to: `shop/web:1.0.0` -> `shop:1.0.0`."""
    name, sep, version = ref.rpartition(":")
    return f"{name.split('/', 1)[0]}:{version}" if sep and name else ref


__all__ = ["APP_ARTIFACT", "component_ref", "owning_version", "split_ref", "version_ref"]
