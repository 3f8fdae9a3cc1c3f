"""Push one image per platform from the local engine and join them into a multi-platform image.

    .venv/bin/python scripts/push-multiarch.py REGISTRY/REPO --source S [--arch amd64]...
        --tag T [--tag T2]...

Each local image REGISTRY/REPO:S-<arch> is copied to the registry under the same name with
skopeo (OCI format), unless the registry already holds the same build (same source label).
Then an OCI image index naming every platform is PUT as REGISTRY/REPO:T for each --tag. The
index is serialized canonically, so the same images always give the same index digest.
Vendor side only: the registry is plain HTTP on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from typing import Any

import docker
import httpx

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SOURCE_LABEL = "org.sealift.example.source"  # set by scripts/example-images.py
ACCEPT = f"{OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json"


def log(message: str) -> None:
    print(f"     {message}", file=sys.stderr, flush=True)


def split_reference(name: str) -> tuple[str, str]:
    registry, _, repo = name.partition("/")
    if not repo:
        raise SystemExit(f"error: {name} is not REGISTRY/REPO")
    return registry, repo


def fetch_manifest(client: httpx.Client, repo: str, tag: str) -> tuple[bytes, str] | None:
    """The raw manifest of `repo:tag` and its media type, or None if there is none."""
    response = client.get(f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.content, response.headers["content-type"].split(";")[0]


def registry_config(client: httpx.Client, repo: str, tag: str) -> dict[str, Any] | None:
    """The image config of `repo:tag` in the registry, or None if there is no such tag."""
    found = fetch_manifest(client, repo, tag)
    if found is None:
        return None
    digest = json.loads(found[0])["config"]["digest"]
    response = client.get(f"/v2/{repo}/blobs/{digest}")
    response.raise_for_status()
    config: dict[str, Any] = response.json()
    return config


def source_label(config: dict[str, Any] | None) -> str | None:
    labels = ((config or {}).get("config") or {}).get("Labels") or {}
    return labels.get(SOURCE_LABEL)


def push_platform(client: httpx.Client, engine: docker.DockerClient, name: str, tag: str) -> None:
    """Copy the local image `name:tag` to the registry, unless the registry has the same build
    (skopeo rewrites the config for OCI, so builds are compared by their source label)."""
    _, repo = split_reference(name)
    local = (engine.images.get(f"{name}:{tag}").labels or {}).get(SOURCE_LABEL)
    if local is not None and source_label(registry_config(client, repo, tag)) == local:
        log(f"up to date: {name}:{tag}")
        return
    log(f"pushing {name}:{tag}")
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--format",
            "oci",
            "--dest-tls-verify=false",
            f"docker-daemon:{name}:{tag}",
            f"docker://{name}:{tag}",
        ],
        check=True,
    )


def platform_of(config: dict[str, Any]) -> dict[str, str]:
    platform = {"architecture": config["architecture"], "os": config["os"]}
    if config.get("variant"):
        platform["variant"] = config["variant"]
    return platform


def index_entry(client: httpx.Client, repo: str, tag: str) -> dict[str, Any]:
    found = fetch_manifest(client, repo, tag)
    if found is None:
        raise SystemExit(f"error: {repo}:{tag} is not in the registry")
    raw, media_type = found
    return {
        "mediaType": media_type,
        "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "platform": platform_of(registry_config(client, repo, tag) or {}),
    }


def put_index(client: httpx.Client, repo: str, index: bytes, tag: str) -> None:
    digest = "sha256:" + hashlib.sha256(index).hexdigest()
    current = client.head(f"/v2/{repo}/manifests/{tag}", headers={"Accept": OCI_INDEX})
    if current.headers.get("docker-content-digest") == digest:
        log(f"up to date: {repo}:{tag} -> {digest}")
        return
    response = client.put(
        f"/v2/{repo}/manifests/{tag}", content=index, headers={"Content-Type": OCI_INDEX}
    )
    response.raise_for_status()
    log(f"index {repo}:{tag} -> {digest}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("name", help="REGISTRY/REPO, e.g. 127.0.0.1:5055/shop/web")
    parser.add_argument("--source", required=True, help="local tags are SOURCE-<arch>")
    parser.add_argument("--arch", action="append", choices=["amd64", "arm64"])
    parser.add_argument("--tag", action="append", required=True, help="tag of the index")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    registry, repo = split_reference(args.name)
    platform_tags = [f"{args.source}-{arch}" for arch in args.arch or ["amd64", "arm64"]]
    engine = docker.from_env(timeout=600)
    with httpx.Client(base_url=f"http://{registry}", timeout=60) as client:
        for tag in platform_tags:
            push_platform(client, engine, args.name, tag)
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [index_entry(client, repo, tag) for tag in platform_tags],
        }
        raw = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
        for tag in args.tag:
            put_index(client, repo, raw, tag)


if __name__ == "__main__":
    main()
