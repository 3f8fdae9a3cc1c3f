"""Tiny real images in the test registry, without the Docker engine: one layer holding
one file, written as an OCI layout and pushed with skopeo (an independent client).
For tests that need many images fast (the store's concurrency test)."""

from __future__ import annotations

import gzip
import io
import subprocess
import tarfile
from pathlib import Path

from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import Layout


def one_layer_manifest(layout: Layout, payload: bytes) -> Descriptor:
    """Store a manifest whose one "layer" is `payload` (not a real tar: for store tests)."""
    layer = Descriptor(media.OCI_LAYER_GZIP, layout.put_bytes(payload), len(payload))
    config = layout.put_json({"architecture": "amd64", "os": "linux"}, media.OCI_CONFIG)
    return layout.put_json(
        {
            "schemaVersion": 2,
            "mediaType": media.OCI_MANIFEST,
            "config": config.to_json(),
            "layers": [layer.to_json()],
        },
        media.OCI_MANIFEST,
    )


def push_tiny(registry: str, repo: str, tag: str, payload: bytes, workdir: Path) -> str:
    """Push image `registry/repo:tag` whose one layer holds /data.txt = `payload`."""
    layout = Layout.create(workdir / f"{repo.replace('/', '_')}-{tag}")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("data.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    layer_tar = raw.getvalue()
    layer_gz = gzip.compress(layer_tar, mtime=0)
    layer = Descriptor(media.OCI_LAYER_GZIP, layout.put_bytes(layer_gz), len(layer_gz))
    config = layout.put_json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [digest_bytes(layer_tar)]},
        },
        media.OCI_CONFIG,
    )
    manifest = layout.put_json(
        {
            "schemaVersion": 2,
            "mediaType": media.OCI_MANIFEST,
            "config": config.to_json(),
            "layers": [layer.to_json()],
        },
        media.OCI_MANIFEST,
    )
    layout.set_ref(tag, manifest)
    reference = f"{registry}/{repo}:{tag}"
    subprocess.run(
        [
            "skopeo",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            f"oci:{layout.root}:{tag}",
            f"docker://{reference}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return reference


def write_model(path: Path, name: str, version: str, images: dict[str, str]) -> Path:
    lines = ["schema: sealift/v1", f"name: {name}", f"version: {version}", "components:"]
    for component, image in images.items():
        lines += [f"  {component}:", f"    image: {image}"]
    path.write_text("\n".join(lines) + "\n")
    return path
