"""End to end with real images: build busybox images in the engine, `sealift publish`,
`sealift export`, and let skopeo (an independent OCI reader) copy every component image
out of the bundle into the engine, where it runs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sealift.bundle.tarstream import ALIGN, ALIGN_MIN, TarReader
from tests.conftest import run_sealift
from tests.imagebuild import build_image, run_output

PREFIX = "sl-bdl"


@pytest.fixture(scope="module")
def images(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    tags = {"web": f"{PREFIX}-web:1.0.0", "api": f"{PREFIX}-api:1.0.0"}
    build_image(docker_client, tags["web"], files={"/www/index.html": "web 1.0.0"})
    build_image(docker_client, tags["api"], files={"/srv/api.txt": "api 1.0.0"})
    yield tags
    for tag in tags.values():
        docker_client.images.remove(tag, force=True)


def aligned_layers(bundle: Path) -> int:
    """How many large members have their data at a 4 KiB boundary (all must)."""
    with bundle.open("rb") as f:
        reader = TarReader(f)
        large = []
        while (member := reader.next()) is not None:
            if member.size >= ALIGN_MIN:
                large.append(member.offset % ALIGN == 0)
    assert all(large)
    return len(large)


def test_skopeo_copies_every_component_out_of_a_bundle(
    docker_client: docker.DockerClient, images: dict[str, str], home: Path, tmp_path: Path
) -> None:
    model = tmp_path / "sealift.yaml"
    model.write_text(
        "schema: sealift/v1\nname: shop\nversion: 1.0.0\ncomponents:\n"
        f"  web:\n    image: {images['web']}\n"
        f"  api:\n    image: {images['api']}\n"
    )
    run_sealift(home, "publish", str(model), "--source", "engine")
    bundle = tmp_path / "shop-1.0.0.tar"
    run_sealift(home, "export", "shop:1.0.0", "-o", str(bundle))
    assert aligned_layers(bundle) >= 1  # the shared busybox layer: skopeo reads it aligned
    copied = []
    try:
        for component in ("web", "api"):
            target = f"{PREFIX}-copied-{component}:1.0.0"
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    f"oci-archive:{bundle}:shop/{component}:1.0.0",
                    f"docker-daemon:{target}",
                ],
                check=True,
                capture_output=True,
            )
            copied.append(target)
            out = run_output(
                docker_client,
                target,
                ["cat", "/www/index.html" if component == "web" else "/srv/api.txt"],
            )
            assert out.decode().strip() == f"{component} 1.0.0"
        inspected = json.loads(
            subprocess.run(
                ["skopeo", "inspect", f"oci-archive:{bundle}:shop/web:1.0.0"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        assert inspected["Architecture"] == "amd64"
    finally:
        for target in copied:
            docker_client.images.remove(target, force=True)
    site = tmp_path / "site"
    run_sealift(site, "import", str(bundle))
    subprocess.run(
        ["skopeo", "inspect", f"oci:{site / 'store'}:shop/api:1.0.0"],
        check=True,
        capture_output=True,
    )


def test_skopeo_cannot_read_left_out_blobs_of_a_differential_bundle(
    images: dict[str, str], home: Path, tmp_path: Path
) -> None:
    model = tmp_path / "sealift.yaml"
    for version in ("1.0.0", "1.1.0"):
        model.write_text(
            f"schema: sealift/v1\nname: shop\nversion: {version}\ncomponents:\n"
            f"  web:\n    image: {images['web']}\n"
        )
        run_sealift(home, "publish", str(model), "--source", "engine")
    diff = tmp_path / "diff.tar"
    run_sealift(home, "export", "shop:1.1.0", "--since", "1.0.0", "-o", str(diff))
    result = subprocess.run(
        ["skopeo", "copy", f"oci-archive:{diff}:shop/web:1.1.0", f"oci:{tmp_path / 'out'}:web"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0  # expected: its blobs are in the base version
