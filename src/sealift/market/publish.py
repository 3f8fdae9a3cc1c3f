"""Publish: pin every component image to a digest, copy it into the store, name the version."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealift.errors import AlreadyExistsError, SealiftError
from sealift.formats import canonical_json, utc_timestamp
from sealift.market import format as fmt
from sealift.market.catalog import AppVersion, Market
from sealift.market.origin import Origin
from sealift.model.app import AppModel
from sealift.model.normal import to_json, with_images
from sealift.oci import media
from sealift.oci.copy import CopiedImage, copy_image
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.progress import NO_PROGRESS, Progress

EMPTY_JSON = b"{}"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishOptions:
    version: str | None = None
    platforms: Sequence[Platform] = ()
    source: str = "auto"
    insecure: Sequence[str] = ()
    docker_config: Path | None = None
    force: bool = False


@dataclass
class _Images:
    copied: dict[str, CopiedImage] = field(default_factory=dict)


def publish(
    market: Market, model: AppModel, options: PublishOptions, progress: Progress = NO_PROGRESS
) -> AppVersion:
    """Publish `model` into `market`; on any failure the market is as it was."""
    if options.version:
        model = model.model_copy(update={"version": options.version})
    if market.has(model.name, model.version) and not options.force:
        raise AlreadyExistsError(
            f"{model.name}:{model.version} is already in the market; versions are immutable: "
            "publish a new version (--version), or pass --force to replace it"
        )
    log.debug("publishing %s:%s (source %s)", model.name, model.version, options.source)
    # a lease until the version is named; a failure's new blobs are freed at its end
    with market.layout.writing():
        images = _copy_images(market.layout, model, options, progress)
        index = _write_app_index(market.layout, model, images)
        log.debug("app index %s written; registering it", index.digest)
        return market.register(index, force=options.force, origin=Origin.published())


def _copy_images(
    layout: Layout, model: AppModel, options: PublishOptions, progress: Progress
) -> _Images:
    images = _Images()
    for name, component in model.components.items():
        if component.image in images.copied:
            continue
        progress.note(f"{name}: {component.image}")
        try:
            images.copied[component.image] = copy_image(
                layout,
                component.image,
                source=options.source,
                platforms=options.platforms,
                insecure=options.insecure,
                docker_config=options.docker_config,
                progress=progress,
            )
        except SealiftError as exc:
            raise exc.prefixed(f"component {name}: ") from exc
        log.debug("%s: %s stored as %s", name, component.image, _digest(images, component.image))
    return images


def _digest(images: _Images, image: str) -> str:
    return images.copied[image].descriptor.digest


def pinned(reference: str, digest: str) -> str:
    """`repo:tag` or `repo:tag@sha256:old` -> `repo:tag@<digest>`."""
    return reference.split("@", 1)[0] + "@" + digest


def _write_app_index(layout: Layout, model: AppModel, images: _Images) -> Descriptor:
    pins = {
        name: pinned(c.image, images.copied[c.image].descriptor.digest)
        for name, c in model.components.items()
    }
    components = {name: images.copied[c.image].descriptor for name, c in model.components.items()}
    return write_app_index(layout, to_json(with_images(model, pins)), components)


def write_app_index(
    layout: Layout, model_json: dict[str, Any], components: dict[str, Descriptor]
) -> Descriptor:
    """Store an app version: its normalized, pinned model and its component images (all
    in the store already) under one OCI index; the index's descriptor, not yet named."""
    entries = [_write_model_manifest(layout, model_json).to_json()]
    entries += [d.with_annotations({fmt.COMPONENT: n}).to_json() for n, d in components.items()]
    doc = {
        "schemaVersion": 2,
        "mediaType": media.OCI_INDEX,
        "artifactType": fmt.APP_ARTIFACT,
        "manifests": entries,
        "annotations": {
            fmt.APP_NAME: model_json["name"],
            fmt.APP_VERSION: model_json["version"],
            fmt.CREATED: utc_timestamp(),
        },
    }
    desc = layout.put_json(doc, media.OCI_INDEX)
    return Descriptor(desc.media_type, desc.digest, desc.size, artifact_type=fmt.APP_ARTIFACT)


def _write_model_manifest(layout: Layout, model_json: dict[str, Any]) -> Descriptor:
    config_bytes = canonical_json(model_json)
    config = Descriptor(fmt.APP_CONFIG, layout.put_bytes(config_bytes), len(config_bytes))
    empty = Descriptor(media.OCI_EMPTY, layout.put_bytes(EMPTY_JSON), len(EMPTY_JSON))
    manifest = {
        "schemaVersion": 2,
        "mediaType": media.OCI_MANIFEST,
        "artifactType": fmt.APP_ARTIFACT,
        "config": config.to_json(),
        "layers": [empty.to_json()],
    }
    desc = layout.put_json(manifest, media.OCI_MANIFEST)
    return Descriptor(
        desc.media_type, desc.digest, desc.size, {fmt.ROLE: "model"}, artifact_type=fmt.APP_ARTIFACT
    )


__all__ = ["PublishOptions", "publish"]
