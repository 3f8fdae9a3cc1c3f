"""`sealift publish` and `sealift market` through the real CLI, engine, registry and skopeo."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.conftest import run_sealift
from tests.imagebuild import build_image, run_output

PREFIX = "sl-pub"


@pytest.fixture(scope="module")
def images(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    tags = {
        "web": f"{PREFIX}/web:1.0.0",
        "api": f"{PREFIX}/api:1.0.0",
        "api2": f"{PREFIX}/api:1.1.0",
    }
    build_image(docker_client, tags["web"], files={"/www/index.html": "web 1.0.0"})
    build_image(docker_client, tags["api"], files={"/srv/api.txt": "api 1.0.0"})
    build_image(docker_client, tags["api2"], files={"/srv/api.txt": "api 1.1.0"})
    yield tags
    for tag in tags.values():
        docker_client.images.remove(tag, force=True)


def write_model(path: Path, web: str, api: str, version: str = "1.0.0") -> Path:
    path.write_text(
        "schema: sealift/v1\n"
        "name: shop\n"
        f"version: {version}\n"
        "components:\n"
        "  web:\n"
        f"    image: {web}\n"
        "    ports: [{port: 80, expose: true}]\n"
        "    depends_on: [api]\n"
        "  api:\n"
        f"    image: {api}\n"
    )
    return path


def market(home: Path) -> list[dict[str, object]]:
    return json.loads(run_sealift(home, "market", "list", "--json").stdout)  # type: ignore[no-any-return]


def store_state(home: Path) -> tuple[bytes, set[str]]:
    store = home / "store"
    blobs = {p.name for p in (store / "blobs" / "sha256").iterdir()}
    return (store / "index.json").read_bytes(), blobs


def test_publish_pins_digests_and_skopeo_reads_the_store(
    home: Path, tmp_path: Path, images: dict[str, str]
) -> None:
    model = write_model(tmp_path / "sealift.yaml", images["web"], images["api"])
    run_sealift(home, "publish", str(model))

    [app] = market(home)
    assert (app["name"], app["version"], app["components"]) == ("shop", "1.0.0", 2)
    assert app["signature"] == "published here"  # the market records where it came from
    show = json.loads(run_sealift(home, "market", "show", "shop:1.0.0", "--json").stdout)
    web = next(c for c in show["components"] if c["name"] == "web")
    assert web["image"] == f"{images['web']}@{web['digest']}"
    assert web["platforms"] == ["linux/amd64"]

    inspected = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci:{home / 'store'}:shop/web:1.0.0"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert inspected["Digest"] == web["digest"]
    assert inspected["Architecture"] == "amd64"


def test_shared_base_layer_is_stored_once(
    home: Path, tmp_path: Path, images: dict[str, str]
) -> None:
    run_sealift(
        home, "publish", str(write_model(tmp_path / "a.yaml", images["web"], images["api"]))
    )
    _, blobs_before = store_state(home)
    run_sealift(
        home,
        "publish",
        str(write_model(tmp_path / "b.yaml", images["web"], images["api2"], "1.1.0")),
    )
    _, blobs_after = store_state(home)
    new = blobs_after - blobs_before
    # only api 1.1.0's own layer, config and manifest, plus the new app index,
    # model manifest and model config: the shared busybox layer is not stored again
    assert len(new) == 6, sorted(new)


def test_version_is_immutable_unless_forced(
    home: Path, tmp_path: Path, images: dict[str, str]
) -> None:
    model = write_model(tmp_path / "sealift.yaml", images["web"], images["api"])
    run_sealift(home, "publish", str(model))
    before = store_state(home)
    again = run_sealift(home, "publish", str(model), check=False)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1:] == [
        "error: shop:1.0.0 is already in the market; versions are immutable: publish a new "
        "version (--version), or pass --force to replace it"
    ]
    assert store_state(home) == before
    run_sealift(home, "publish", str(model), "--force")
    assert [a["version"] for a in market(home)] == ["1.0.0"]


def test_missing_image_changes_nothing(home: Path, tmp_path: Path, images: dict[str, str]) -> None:
    run_sealift(
        home, "publish", str(write_model(tmp_path / "a.yaml", images["web"], images["api"]))
    )
    before = store_state(home)
    bad = write_model(tmp_path / "b.yaml", images["web"], f"{PREFIX}/nope:9.9.9", "2.0.0")
    result = run_sealift(home, "publish", str(bad), "--source", "engine", check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: component api:") and "nope:9.9.9" in line
    assert "Traceback" not in result.stderr
    assert store_state(home) == before


def test_typo_in_model_names_key_and_line(
    home: Path, tmp_path: Path, images: dict[str, str]
) -> None:
    model = write_model(tmp_path / "sealift.yaml", images["web"], images["api"])
    model.write_text(model.read_text().replace("    depends_on", "    depend_on"))
    result = run_sealift(home, "publish", str(model), check=False)
    assert result.returncode == 1
    assert "components.web.depend_on" in result.stderr and "(line 8)" in result.stderr
    assert not (home / "store" / "index.json").exists() or market(home) == []


def test_publish_from_registry_and_run_the_copy(
    home: Path,
    tmp_path: Path,
    registry: str,
    images: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    remote = f"{registry}/shop/web:1.0.0"
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            f"docker-daemon:{images['web']}",
            f"docker://{remote}",
        ],
        check=True,
        capture_output=True,
    )
    model = write_model(tmp_path / "sealift.yaml", remote, images["api"])
    run_sealift(home, "publish", str(model), "--source", "registry", check=False)
    # --source registry applies to every component: api is only in the engine
    result = run_sealift(home, "publish", str(model), "--source", "registry", check=False)
    assert result.returncode == 1 and "component api" in result.stderr
    run_sealift(home, "publish", str(model))  # auto: web not in engine -> registry
    show = json.loads(run_sealift(home, "market", "show", "shop:1.0.0", "--json").stdout)
    web = next(c for c in show["components"] if c["name"] == "web")
    assert web["image"].startswith(remote + "@sha256:")

    back = f"{PREFIX}/roundtrip:1"
    subprocess.run(
        ["skopeo", "copy", f"oci:{home / 'store'}:shop/web:1.0.0", f"docker-daemon:{back}"],
        check=True,
        capture_output=True,
    )
    try:
        out = run_output(docker_client, back, ["cat", "/www/index.html"])
        assert out == b"web 1.0.0"
    finally:
        docker_client.images.remove(back, force=True)


def test_remove_frees_only_unshared_blobs(
    home: Path, tmp_path: Path, images: dict[str, str]
) -> None:
    run_sealift(
        home, "publish", str(write_model(tmp_path / "a.yaml", images["web"], images["api"]))
    )
    _, only_first = store_state(home)
    run_sealift(
        home,
        "publish",
        str(write_model(tmp_path / "b.yaml", images["web"], images["api2"], "1.1.0")),
    )
    result = run_sealift(home, "market", "remove", "shop:1.1.0")
    assert "freed 6 blobs" in result.stderr
    assert store_state(home)[1] == only_first
    assert [a["version"] for a in market(home)] == ["1.0.0"]
    missing = run_sealift(home, "market", "show", "shop:1.1.0", check=False)
    assert missing.stderr.strip() == ("error: shop:1.1.0 is not in the market; it has shop 1.0.0")


def _platforms(home: Path, ref: str) -> list[str]:
    show = json.loads(run_sealift(home, "market", "show", ref, "--json").stdout)
    return [p for c in show["components"] for p in c["platforms"]]


def test_publish_keeps_or_narrows_platforms(home: Path, tmp_path: Path, multi: str) -> None:
    model = write_model(tmp_path / "m.yaml", multi, multi)
    run_sealift(home, "publish", str(model))
    assert sorted(_platforms(home, "shop:1.0.0")) == [
        "linux/amd64",
        "linux/amd64",
        "linux/arm64",
        "linux/arm64",
    ]
    run_sealift(home, "publish", str(model), "--version", "1.0.1", "--platform", "linux/arm64")
    assert _platforms(home, "shop:1.0.1") == ["linux/arm64", "linux/arm64"]

    before = store_state(home)
    result = run_sealift(
        home, "publish", str(model), "--version", "1.0.2", "--platform", "linux/s390x", check=False
    )
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: component web:") and "linux/s390x" in line and multi in line
    assert store_state(home) == before
