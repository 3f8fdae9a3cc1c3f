"""The example app (examples/shop) really works: its amd64 images build from scratch with
busybox, and its components, run by hand on a private network, answer web -> api -> store over
HTTP, the worker writes into the store, and the store's data lives in its volume."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "examples" / "shop"
pytestmark = pytest.mark.docker


class Shop:
    """Components of examples/shop started by hand, as `docker run` would."""

    def __init__(self, client: docker.DockerClient, prefix: str, name: str) -> None:
        self.client = client
        self.prefix = prefix
        self.name = name
        self.network = client.networks.create(name)
        self.volume = client.volumes.create(f"{name}-data")
        self.containers: dict[str, Any] = {}

    def run(
        self,
        component: str,
        source: str,
        alias: str | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> str:
        """Start `component` built from images/<component>/<source>; return its base URL
        on 127.0.0.1 when `port` (its container port) is published."""
        alias = alias or component
        host_port = free_port()
        self.containers[alias] = self.client.containers.run(
            f"{self.prefix}/{component}:{source}-amd64",
            name=f"{self.name}-{alias}",
            detach=True,
            environment=env or {},
            network=self.name,
            networking_config={self.name: self.client.api.create_endpoint_config(aliases=[alias])},
            volumes={self.volume.name: {"bind": "/data", "mode": "rw"}}
            if component == "store"
            else None,
            ports={f"{port}/tcp": ("127.0.0.1", host_port)} if port else None,
        )
        return f"http://127.0.0.1:{host_port}"

    def remove(self, alias: str) -> None:
        self.containers.pop(alias).remove(force=True)

    def close(self) -> None:
        for alias in list(self.containers):
            self.remove(alias)
        self.network.remove()
        self.volume.remove(force=True)


def build_images(prefix: str) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "example-images.py"),
            "--prefix",
            prefix,
            "--arch",
            "amd64",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def shop(docker_client: docker.DockerClient) -> Iterator[Shop]:
    name = f"sl-ex-{uuid.uuid4().hex[:8]}"
    prefix = f"{name}/shop"
    build_images(prefix)
    running = Shop(docker_client, prefix, name)
    try:
        yield running
    finally:
        running.close()
        for image in docker_client.images.list(name=f"{prefix}/*"):
            for tag in image.tags:
                docker_client.images.remove(tag)


@pytest.fixture(scope="module")
def web(shop: Shop) -> str:
    shop.run("store", "1.0.0")
    shop.run("api", "1.0.0", env={"ADMIN_PASSWORD": "s3cret-password"})
    shop.run("worker", "1.0.0", env={"HEARTBEAT_INTERVAL": "1"})
    url = shop.run("web", "1.0.0", port=8080)
    wait_for(lambda: "API 1.0.0" in httpx.get(url).text, "the storefront to reach the API")
    return url


def test_storefront_renders_the_api_version(web: str) -> None:
    page = httpx.get(web)
    assert page.status_code == 200
    assert "<h1>Shop</h1>" in page.text
    assert "API 1.0.0" in page.text
    assert httpx.get(f"{web}/healthz").text.strip() == "ok"


def test_an_item_goes_through_web_and_api_into_the_store(web: str, shop: Shop) -> None:
    added = httpx.post(f"{web}/cgi-bin/api/items", data={"name": "blue teapot"})
    assert added.json() == {"added": "blue teapot"}
    assert "blue teapot" in httpx.get(f"{web}/cgi-bin/api/items").json()["items"]
    assert "blue teapot" in httpx.get(web).text.replace("&#32;", " ")
    stored = shop.containers["store"].exec_run(["cat", "/data/list/items"]).output.decode()
    assert "blue teapot" in stored.splitlines()


def test_the_form_adds_an_item_and_goes_back_to_the_page(web: str) -> None:
    answer = httpx.post(f"{web}/cgi-bin/add", data={"name": "mug"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert "<li>mug</li>" in httpx.get(web).text


def test_the_worker_writes_heartbeats_into_the_store(web: str) -> None:
    def beats() -> int:
        return int(httpx.get(f"{web}/cgi-bin/api/stats").json()["heartbeats"])

    first = beats()
    wait_for(lambda: beats() >= first + 2, "two more heartbeats")


def test_admin_actions_need_the_password(web: str, shop: Shop) -> None:
    api = shop.containers["api"]
    wrong = api.exec_run(
        [
            "wget",
            "-qO-",
            "--post-data",
            "password=nope&action=clear",
            "http://127.0.0.1:8081/cgi-bin/admin",
        ]
    )
    assert wrong.exit_code != 0
    assert httpx.get(f"{web}/cgi-bin/api/items").json()["items"] != []


def test_store_data_survives_a_new_store_container(web: str, shop: Shop) -> None:
    httpx.post(f"{web}/cgi-bin/api/items", data={"name": "kept"}).raise_for_status()
    shop.remove("store")
    shop.run("store", "1.0.0")
    wait_for(
        lambda: "kept" in httpx.get(f"{web}/cgi-bin/api/items").json()["items"],
        "the new store to serve the old data",
    )


def test_release_1_1_0_api_counts_items_and_metrics_reads_the_store(web: str, shop: Shop) -> None:
    api = shop.run("api", "1.1.0", alias="api-next", port=8081)
    metrics = shop.run("metrics", "1.1.0", port=9100)
    wait_for(lambda: httpx.get(f"{api}/cgi-bin/version").json()["version"] == "1.1.0", "api 1.1.0")
    items = httpx.get(f"{api}/cgi-bin/items").json()
    assert items["count"] == len(items["items"]) > 0
    wait_for(lambda: httpx.get(f"{metrics}/cgi-bin/metrics").status_code == 200, "metrics")
    text = httpx.get(f"{metrics}/cgi-bin/metrics").text
    assert f"shop_items {items['count']}" in text
    assert "shop_store_up 1" in text


def test_every_model_validates_and_names_buildable_components() -> None:
    from sealift.model.load import parse_model_text  # written by the model engineer

    for path in sorted(APP_DIR.glob("*/sealift.yaml")):
        model = parse_model_text(path.read_text(), str(path))
        assert model.version == path.parent.name
        for component in model.components:
            assert (APP_DIR / "images" / component).is_dir(), f"{path}: {component}"
