"""Load images from the OCI store into the engine: a `docker load` tar built on the fly.

The tar is the legacy `docker save` layout (manifest.json, <config>.json, <layer>/layer.tar)
that every engine from 20.10 on accepts; layer blobs go in as they are stored (gzip), the
engine decompresses them. Nothing is ever pulled from a registry.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors

from sealift.errors import NotFoundError
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.digest import hex_part
from sealift.oci.engine import engine_errors
from sealift.oci.layout import Layout
from sealift.progress import Progress
from sealift.targets.base import ImageToLoad
from sealift.targets.images import config_digest, manifest_for

BLOCK = 512


def load_missing(
    client: docker.DockerClient,
    layout: Layout,
    images: list[ImageToLoad],
    platform: Platform,
    progress: Progress,
) -> dict[str, str]:
    """Load every image the engine lacks; return manifest digest -> engine image id."""
    ids: dict[str, str] = {}
    for image in images:
        manifest = manifest_for(layout, image, platform)
        if manifest.digest in ids:
            continue
        ids[manifest.digest] = config_digest(layout, manifest)
        if not _engine_has(client, ids[manifest.digest]):
            progress.note(f"loading image of {image.component} into the engine")
            _load(client, layout, manifest, _tag_of(image.reference), progress)
    return ids


def _engine_has(client: docker.DockerClient, image: str) -> bool:
    with engine_errors("looking up an image"):
        try:
            client.images.get(image)
            return True
        except docker.errors.ImageNotFound:
            return False


def _tag_of(reference: str) -> str:
    """`reg/shop/web:1.0.0@sha256:...` -> `reg/shop/web:1.0.0` (what `docker images` shows)."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else name + ":latest"


def _load(
    client: docker.DockerClient, layout: Layout, manifest: Descriptor, tag: str, progress: Progress
) -> None:
    doc = layout.read_json(manifest.digest)
    layers = [Descriptor.from_json(layer) for layer in doc.get("layers", [])]
    progress.begin(tag, sum(layer.size for layer in layers))
    with engine_errors(f"loading {tag}"):
        stream = legacy_tar(layout, doc, tag, progress)
        for answer in client.api.load_image(stream):  # type: ignore[no-untyped-call]
            if isinstance(answer, dict) and answer.get("error"):
                raise docker.errors.APIError(str(answer["error"]))
    progress.end()


def legacy_tar(
    layout: Layout, manifest: dict[str, Any], tag: str, progress: Progress
) -> Iterator[bytes]:
    """Stream a `docker load` tar for one image manifest, blob by blob."""
    return load_archive(layout, [(manifest, [tag])], progress)


def load_archive(
    layout: Layout, images: list[tuple[dict[str, Any], list[str]]], progress: Progress
) -> Iterator[bytes]:
    """Stream a `docker load` tar of image manifests, each with its tags; a blob that several
    images share is in it once."""
    for name, size, digest in _archive_members(images):
        if digest is None:
            yield _dir_header(name)
            continue
        for chunk in _member(name, size, layout.iter_blob(digest)):
            if name.endswith("/layer.tar"):
                progress.advance(len(chunk))
            yield chunk
    data = _archive_index(images)
    yield from _member("manifest.json", len(data), iter([data]))
    yield b"\0" * (BLOCK * 2)


def load_archive_size(images: list[tuple[dict[str, Any], list[str]]]) -> int:
    """The bytes `load_archive` streams for `images`."""
    size = sum(BLOCK + (-(-s // BLOCK) * BLOCK if d else 0) for _, s, d in _archive_members(images))
    data = _archive_index(images)
    return size + BLOCK + -(-len(data) // BLOCK) * BLOCK + 2 * BLOCK


def _archive_members(
    images: list[tuple[dict[str, Any], list[str]]],
) -> Iterator[tuple[str, int, str | None]]:
    """(name, size, blob digest) of every member once, in order; a directory has no digest."""
    seen: set[str] = set()
    for manifest, _ in images:
        config = Descriptor.from_json(manifest["config"])
        if config.digest not in seen:
            seen.add(config.digest)
            yield f"{hex_part(config.digest)}.json", config.size, config.digest
        for layer in (Descriptor.from_json(x) for x in manifest.get("layers", [])):
            if layer.digest not in seen:
                seen.add(layer.digest)
                yield hex_part(layer.digest), 0, None
                yield f"{hex_part(layer.digest)}/layer.tar", layer.size, layer.digest


def _archive_index(images: list[tuple[dict[str, Any], list[str]]]) -> bytes:
    return json.dumps(
        [
            {
                "Config": f"{hex_part(manifest['config']['digest'])}.json",
                "RepoTags": tags,
                "Layers": [f"{hex_part(x['digest'])}/layer.tar" for x in manifest["layers"]],
            }
            for manifest, tags in images
        ]
    ).encode()


def _member(name: str, size: int, chunks: Iterator[bytes]) -> Iterator[bytes]:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    yield info.tobuf(format=tarfile.USTAR_FORMAT)
    written = 0
    for chunk in chunks:
        written += len(chunk)
        yield chunk
    if written != size:
        raise NotFoundError(f"blob for {name} in the store has {written} bytes, not {size}")
    if size % BLOCK:
        yield b"\0" * (BLOCK - size % BLOCK)


def _dir_header(name: str) -> bytes:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info.tobuf(format=tarfile.USTAR_FORMAT)
