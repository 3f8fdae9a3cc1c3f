"""A multi-platform image (amd64 + arm64 + an attestation) in the test registry."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import docker
import httpx
import pytest

from imagebuild import build_image

TAG = f"sl-src-{uuid.uuid4().hex[:8]}"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"skopeo {' '.join(args)}: {result.stderr}"
    return result


def push(image: str, dest: str) -> None:
    skopeo("copy", "--dest-tls-verify=false", f"docker-daemon:{image}", f"docker://{dest}")


@pytest.fixture(scope="session")
def arch_images(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    names = {"amd64": f"{TAG}-reg:amd64", "arm64": f"{TAG}-reg:arm64"}
    for arch, name in names.items():
        build_image(docker_client, name, arch=arch, files={"/arch": arch}, cmd=["cat", "/arch"])
    yield names
    for name in names.values():
        docker_client.images.remove(name, force=True)


@pytest.fixture(scope="session")
def multi(registry: str, arch_images: dict[str, str]) -> str:
    """`shop/multi:1` in the registry: an OCI index of amd64, arm64 and an attestation."""
    manifests = []
    for arch, name in arch_images.items():
        push(name, f"{registry}/shop/multi:{arch}")
        manifests.append(
            _descriptor(registry, "shop/multi", arch, {"os": "linux", "architecture": arch})
        )
    attestation = _descriptor(
        registry, "shop/multi", "amd64", {"os": "unknown", "architecture": "unknown"}
    )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*manifests, attestation]}
    resp = httpx.put(
        f"http://{registry}/v2/shop/multi/manifests/1",
        content=json.dumps(index),
        headers={"Content-Type": OCI_INDEX},
    )
    assert resp.status_code == 201, resp.text
    return f"{registry}/shop/multi:1"


def _descriptor(registry: str, repo: str, tag: str, platform: dict[str, str]) -> dict[str, Any]:
    resp = httpx.head(
        f"http://{registry}/v2/{repo}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert resp.status_code == 200
    return {
        "mediaType": resp.headers["content-type"],
        "digest": resp.headers["docker-content-digest"],
        "size": int(resp.headers["content-length"]),
        "platform": platform,
    }
