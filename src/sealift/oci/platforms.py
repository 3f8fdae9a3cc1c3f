"""Choosing the platforms of an image to keep."""

from __future__ import annotations

from collections.abc import Sequence

from sealift.errors import PlatformError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout

UNKNOWN = Platform("unknown", "unknown")
"""Buildkit's attestation manifests carry this platform; they are never kept."""


def runnable(entries: Sequence[Descriptor]) -> list[Descriptor]:
    """Index entries that are images for a platform (attestations dropped)."""
    return [e for e in entries if e.platform is None or e.platform != UNKNOWN]


def select(
    image: str, entries: Sequence[Descriptor], wanted: Sequence[Platform]
) -> list[Descriptor]:
    """The entries of an index to keep: all runnable ones, or those matching `wanted`.

    Raises PlatformError naming the image and what it has if a wanted one is missing.
    """
    candidates = runnable(entries)
    if not wanted:
        return candidates
    kept: list[Descriptor] = []
    for platform in wanted:
        match = next((e for e in candidates if e.platform and platform.matches(e.platform)), None)
        if match is None:
            raise missing(image, platform, [e.platform for e in candidates if e.platform])
        if match not in kept:
            kept.append(match)
    return kept


def check_single(image: str, has: Platform, wanted: Sequence[Platform]) -> None:
    """A single-platform image must satisfy every wanted platform."""
    for platform in wanted:
        if not platform.matches(has):
            raise missing(image, platform, [has])


def missing(image: str, platform: Platform, has: Sequence[Platform]) -> PlatformError:
    available = ", ".join(str(p) for p in has) or "no platform"
    return PlatformError(
        f"{image} has no {platform} image (it has {available}); "
        "drop that --platform or publish an image built for it"
    )


def platform_of_config(config: object) -> Platform:
    """The platform an image config declares (os/architecture/variant)."""
    if not isinstance(config, dict):
        return Platform("", "")
    return Platform.from_json(config)


def narrowed(
    layout: Layout,
    top: Descriptor,
    entries: Sequence[Descriptor],
    kept: Sequence[Descriptor],
    *,
    narrowing: bool,
) -> Descriptor:
    """The descriptor to hand back for an index of which `kept` were copied.

    The original (OCI) index when nothing was left out or rewritten; the one manifest
    when narrowing to one platform; else a new OCI index of the kept manifests.
    """
    if top.media_type == media.OCI_INDEX and list(kept) == list(entries):
        return top
    if narrowing and len(kept) == 1:
        return kept[0]
    doc = {
        "schemaVersion": 2,
        "mediaType": media.OCI_INDEX,
        "manifests": [e.to_json() for e in kept],
    }
    return layout.put_json(doc, media.OCI_INDEX)
