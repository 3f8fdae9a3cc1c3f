"""Which image of the store a target runs for a platform. Target-independent, store only.

A component's image is identified by the digest of the image manifest for the platform, not
by its reference: two versions that tag the same image differently render the same spec,
so an upgrade keeps that component running.
"""

from __future__ import annotations

from sealift.errors import NotFoundError, PlatformError
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.targets.base import ImageToLoad


def image_digests(layout: Layout, images: list[ImageToLoad], platform: Platform) -> dict[str, str]:
    """Component -> digest of the image manifest it runs on `platform`."""
    return {image.component: manifest_for(layout, image, platform).digest for image in images}


def manifest_for(layout: Layout, image: ImageToLoad, platform: Platform) -> Descriptor:
    """The image manifest of `image` for `platform`, with every blob it reaches in the store."""
    try:
        manifest = pick_manifest(layout, image.descriptor, platform)
        missing = [d.digest for d in layout.walk(manifest) if not layout.has_blob(d.digest)]
    except NotFoundError:
        missing = [image.descriptor.digest]
    except PlatformError as exc:
        raise exc.prefixed(f"component {image.component}: ") from None
    if missing:
        raise NotFoundError(
            f"the image of {image.component} ({image.reference.split('@')[0]})"
            f" is missing from the store (blob {missing[0][:19]}...); import or "
            "publish the app version again"
        )
    try:
        check_platform(layout, manifest, platform)
    except PlatformError as exc:
        raise exc.prefixed(f"component {image.component}: ") from None
    return manifest


def pick_manifest(layout: Layout, desc: Descriptor, platform: Platform) -> Descriptor:
    """The image manifest for `platform` (from an index), or `desc` itself."""
    if desc.media_type not in media.INDEX_TYPES:
        return desc
    children = layout.children(desc)
    for child in children:
        if child.platform is not None and platform.matches(child.platform):
            return pick_manifest(layout, child, platform)
    have = ", ".join(str(c.platform) for c in children if c.platform) or "none"
    raise PlatformError(
        f"the image has no {platform} variant (it has {have}); install with --platform "
        f"for one of those if this host can run it, or get a bundle that carries {platform}"
    )


def config_digest(layout: Layout, manifest: Descriptor) -> str:
    """The digest of an image's config blob (the Docker engine's image id)."""
    return str(layout.read_json(manifest.digest)["config"]["digest"])


def check_platform(layout: Layout, manifest: Descriptor, platform: Platform) -> None:
    config = layout.read_json(config_digest(layout, manifest))
    arch = config.get("architecture")
    if arch and arch != platform.architecture:
        raise PlatformError(
            f"the image is for {config.get('os', 'linux')}/{arch}, not {platform}; install "
            f"with --platform {config.get('os', 'linux')}/{arch} if this host can run it, "
            f"or get a bundle that carries {platform}"
        )
