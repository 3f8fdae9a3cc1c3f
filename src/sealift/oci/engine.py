"""The door to the local Docker engine (docker-py): finding an image and reading it
through `image.save()`, streamed, never buffered whole.

Every docker-py and connection exception becomes a sealift error in `_door()`.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence

import docker
import docker.errors
import requests
from docker.models.images import Image

from sealift.errors import EngineError, NotFoundError
from sealift.oci.descriptor import Platform
from sealift.oci.graph import Copied
from sealift.oci.layercache import LayerIndex
from sealift.oci.layout import Layout
from sealift.oci.platforms import check_single
from sealift.oci.savetar import (
    CHUNK,
    IterStream,
    build_manifest,
    manifest_from_store,
    read_save_stream,
)
from sealift.progress import Progress

EngineClient = docker.DockerClient


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


@contextlib.contextmanager
def _door(image: str) -> Iterator[None]:
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise NotFoundError(
            f"{image}: no such image in the Docker engine; "
            "build or pull it first, or publish it from a registry"
        ) from exc
    except docker.errors.APIError as exc:
        raise EngineError(f"{image}: the Docker engine refused: {exc.explanation or exc}") from exc
    except (
        docker.errors.DockerException,
        requests.exceptions.RequestException,
        ConnectionError,
    ) as exc:
        raise EngineError(
            f"the Docker engine is not reachable at {engine_address()}: "
            "start dockerd (or set DOCKER_HOST)"
        ) from exc


def connect(engine: EngineClient | None = None) -> EngineClient:
    """`engine`, or a client from the environment; EngineError if the engine does not answer."""
    with _door("engine"):
        client = engine or docker.from_env(timeout=300)
        client.ping()
        return client


def find_image(client: EngineClient, name: str) -> Image | None:
    """The engine's image named `name`, or None if it has none."""
    try:
        with _door(name):
            return client.images.get(name)
    except NotFoundError:
        return None


def copy_from_engine(
    layout: Layout,
    name: str,
    client: EngineClient,
    *,
    platforms: Sequence[Platform],
    progress: Progress,
) -> Copied:
    """Copy the engine's image `name` into `layout` as a gzip-layered OCI image.

    Layers the store already holds (same diff_id) are reused, not compressed again; if
    it holds them all and the image's config too, the image is not even read.
    """
    with _door(name):
        image = client.images.get(name)
        check_single(name, _platform_of(image), platforms)
        known = LayerIndex.load(layout)
        stored = manifest_from_store(layout, str(image.id), known, name)
        if stored is None:
            stream = io.BufferedReader(IterStream(image.save(chunk_size=CHUNK, named=False)), CHUNK)
            archive = read_save_stream(stream, layout, progress, name, known)
    descriptor, platform = stored or build_manifest(archive, layout, name)
    return Copied(descriptor, [platform])


def _platform_of(image: Image) -> Platform:
    attrs = image.attrs
    return Platform(
        str(attrs.get("Os", "")),
        str(attrs.get("Architecture", "")),
        str(attrs.get("Variant") or ""),
    )
