"""The site's registry: the market's images named `<app>/<component>:<version>`, served
read-only from the store (`sealift registry serve`) or pushed into a registry the site
runs (`sealift push`, in market/push.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sealift.market import format as fmt
from sealift.market.catalog import APP_ARTIFACT, AppVersion
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import Layout
from sealift.oci.serve import Listen, RegistryApp, RegistryContent, Repositories, Tls, run

__all__ = [
    "Listen",
    "ServeOptions",
    "Tls",
    "image_name",
    "registry_app",
    "serve",
    "served_repositories",
]


@dataclass(frozen=True)
class ServeOptions:
    listen: Listen
    tls: Tls | None = None
    htpasswd: Path | None = None


def image_name(app: AppVersion, component: str) -> str:
    """The repository of one component image: `<app>/<component>`."""
    return f"{app.name}/{component}"


def served_repositories(layout: Layout) -> Repositories:
    """Every component image of every app version in the store, read from index.json
    alone: `shop/web` -> {`1.0.0`: the pinned image (manifest or index) as stored}."""
    refs = layout.refs()
    versions = {
        ref for ref, d in refs.items() if d.artifact_type == APP_ARTIFACT and "/" not in ref
    }
    out: dict[str, dict[str, Descriptor]] = {}
    for ref, desc in refs.items():
        name, _, version = ref.rpartition(":")
        if "/" in name and fmt.owning_version(ref) in versions:
            out.setdefault(name, {})[version] = desc.with_annotations({})
    return out


def registry_app(store: Path, htpasswd: Path | None = None) -> RegistryApp:
    from sealift.oci.htpasswd import Htpasswd

    users = Htpasswd.load(htpasswd) if htpasswd is not None else None
    Layout.create(store)  # an empty store serves an empty catalog
    return RegistryApp(RegistryContent(store, served_repositories), users)


def serve(store: Path, options: ServeOptions, on_ready: Callable[[], None] | None = None) -> None:
    """Serve the store read-only until interrupted."""
    run(registry_app(store, options.htpasswd), options.listen, options.tls, on_ready)
