"""An arm64 install under emulation: the image is loaded for --platform linux/arm64."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sealift.yamltext import dump_yaml
from tests.conftest import free_port, run_sealift
from tests.imagebuild import build_image
from tests.integration.test_deploy_support import WEB_CMD, cleanup, http_get

IMAGE = "sl-dep-arm:1"
INSTANCE = "sldep-arm64"


@pytest.fixture
def arm_image(docker_client: docker.DockerClient) -> Iterator[str]:
    build_image(docker_client, IMAGE, arch="arm64", files={"/etc/sl-dep": "arm64"})
    yield IMAGE
    cleanup(docker_client, INSTANCE)
    with contextlib.suppress(docker.errors.NotFound):
        docker_client.images.remove(IMAGE, force=True)


def test_arm64_install(arm_image: str, tmp_path: Path, docker_client: docker.DockerClient) -> None:
    home, port = tmp_path / "home", free_port()
    model = {
        "schema": "sealift/v1",
        "name": "armapp",
        "version": "1.0.0",
        "components": {
            "web": {
                "image": arm_image,
                "command": ["sh", "-c", WEB_CMD],
                "env": {"MSG": "hello arm64"},
                "ports": [{"port": 8080, "expose": True, "host_port": port}],
                "health": {"http": {"port": 8080}, "interval": "500ms"},
            }
        },
    }
    (tmp_path / "armapp.yaml").write_text(dump_yaml(model))
    run_sealift(home, "publish", str(tmp_path / "armapp.yaml"), "--platform", "linux/arm64")
    docker_client.images.remove(arm_image, force=True)  # install must load it from the store
    run_sealift(
        home,
        "install",
        "armapp:1.0.0",
        "--name",
        INSTANCE,
        "--platform",
        "linux/arm64",
        "--bind-address",
        "127.0.0.1",
        "--timeout",
        "120s",
    )
    assert http_get(port) == "hello arm64"
    assert docker_client.images.get(arm_image).attrs["Architecture"] == "arm64"
    wrong = run_sealift(home, "upgrade", INSTANCE, "1.0.0", "--dry-run", "--json")
    assert '"keep"' in wrong.stdout
