"""Root directories: each component's image flattened once per image version (its manifest
digest) under the installation's directory. An upgrade writes the new one next to the old;
a rollback finds the old one and switches back without extracting anything; beyond the last
three a component used, old ones are removed."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import Layout
from sealift.progress import Progress
from sealift.space import require_space
from sealift.targets.systemd.flatten import RootImage, flatten_image, image_config, layers_size
from sealift.targets.systemd.paths import Places

KEEP = 3
EXPANSION = 3
"""Free space asked for per byte of compressed layers (what they take once extracted)."""


@dataclass(frozen=True)
class StoredImage:
    """A component's image manifest for this host, as it sits in the store."""

    layout: Layout
    manifest: Descriptor
    label: str  # for messages: component web (shop/web:1.0.0)


def ensure_root(
    places: Places, component: str, image: StoredImage, progress: Progress
) -> tuple[Path, RootImage]:
    root = places.root(component, image.manifest.digest)
    if root.is_dir():
        found = image_config(image.layout, image.manifest, root, image=image.label)
    else:
        progress.note(f"flatten {image.label}")
        with image.layout.lease():
            found = flatten_image(image.layout, image.manifest, root, progress, image=image.label)
    os.utime(root)  # the most recently used roots are the ones kept
    return root, found


def space_needed(places: Places, images: dict[str, StoredImage]) -> int:
    """Bytes the roots not yet flattened may take (component -> its image)."""
    return sum(
        EXPANSION * layers_size(image.layout, image.manifest)
        for component, image in images.items()
        if not places.root(component, image.manifest.digest).is_dir()
    )


def check_space(places: Places, images: dict[str, StoredImage]) -> None:
    needed = space_needed(places, images)
    if needed:
        require_space(
            places.base,
            needed,
            "flattening the images into root directories",
            f"free some space under {places.base} (nothing was changed)",
        )


def prune(places: Places, component: str, keep: int = KEEP) -> list[Path]:
    """Remove the component's root directories beyond the `keep` most recently used."""
    directory = places.roots(component)
    if not directory.is_dir():
        return []
    roots = [p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")]
    roots.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in roots[keep:]:
        shutil.rmtree(old)
    return roots[keep:]
