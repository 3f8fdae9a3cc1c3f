"""A failed publish leaves the market exactly as it was and says why in one line."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.conftest import free_port, run_sealift, sealift_command
from tests.imagebuild import build_image
from tests.integration.test_publish import store_state, write_model

BIG = "sl-pub/big:1.0.0"
SMALL = "sl-pub/small:1.0.0"


@pytest.fixture(scope="module")
def big_images(docker_client: docker.DockerClient) -> Iterator[None]:
    build_image(docker_client, BIG, big_file_mib=160)
    build_image(docker_client, SMALL, files={"/hello": "hello"})
    yield
    for tag in (BIG, SMALL):
        docker_client.images.remove(tag, force=True)


def _published_small(home: Path, tmp_path: Path) -> tuple[bytes, set[str]]:
    run_sealift(home, "publish", str(write_model(tmp_path / "ok.yaml", SMALL, SMALL)))
    return store_state(home)


def test_ctrl_c_midway_changes_nothing(home: Path, tmp_path: Path, big_images: None) -> None:
    before = _published_small(home, tmp_path)
    model = write_model(tmp_path / "big.yaml", BIG, SMALL, "2.0.0")
    proc = subprocess.Popen(
        sealift_command(home, "publish", str(model)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tmp_dir = home / "store" / ".sealift-tmp"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if tmp_dir.is_dir() and any(p.stat().st_size > 1 << 20 for p in tmp_dir.iterdir()):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "publish finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == "error: interrupted; nothing was changed"
    assert store_state(home) == before
    assert not tmp_dir.exists() or list(tmp_dir.iterdir()) == []


def test_full_disk_is_one_line_and_changes_nothing(tmp_path: Path, big_images: None) -> None:
    home = tmp_path / "small-disk"
    home.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(home)], check=True)
    try:
        before = _published_small(home, tmp_path)
        model = write_model(tmp_path / "big.yaml", BIG, SMALL, "2.0.0")
        result = run_sealift(home, "publish", str(model), check=False)
        assert result.returncode == 1
        line = result.stderr.strip().splitlines()[-1]
        assert line.startswith("error: component web: no space left on device"), line
        assert "Traceback" not in result.stderr
        assert store_state(home) == before
    finally:
        subprocess.run(["umount", str(home)], check=True)


def test_registry_down_names_the_image(home: Path, tmp_path: Path) -> None:
    dead = f"127.0.0.1:{free_port()}/shop/web:1.0.0"
    result = run_sealift(
        home,
        "publish",
        str(write_model(tmp_path / "m.yaml", dead, dead)),
        "--source",
        "registry",
        check=False,
    )
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: component ") and dead in line
    assert "Traceback" not in result.stderr
