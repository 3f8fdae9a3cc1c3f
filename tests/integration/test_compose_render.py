"""The real docker-compose 1.29 accepts the Compose rendering of the example app and of
converted real-world projects (tests/fixtures/compose), and reads in it what sealift meant."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sealift.cli.convert_cmd import convert_files
from sealift.model.app import AppModel
from sealift.model.load import parse_model_data, parse_model_text
from sealift.model.params import resolve_values
from sealift.render.compose import ComposeOptions, compose_files
from sealift.yamltext import load_yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "tests" / "fixtures" / "compose"
PROJECTS = {
    "nextcloud": (["compose.yaml"], []),
    "webapp": (["compose.yaml", "compose.override.yaml"], ["app.env"]),
    "mattermost": (["docker-compose.yml"], ["env.example"]),
    "sentry": (["docker-compose.yml"], []),
    "layered": (["compose.yaml"], []),
    "votingapp": (["compose.yaml"], []),
}


def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        pytest.fail("docker-compose is required; run `make setup`")
    return found


def converted(name: str) -> AppModel:
    files, env_files = PROJECTS[name]
    result = convert_files(
        [COMPOSE / name / f for f in files],
        env_files=[COMPOSE / name / f for f in env_files],
        environment={"MATTERMOST_IMAGE_TAG": "9.11.1"},
    )
    return parse_model_data(result.model, name)


def example(version: str) -> AppModel:
    path = ROOT / "examples" / "shop" / version / "sealift.yaml"
    return parse_model_text(path.read_text(), str(path))


def rendered_config(model: AppModel, directory: Path) -> dict[str, object]:
    """Render `model` into `directory` and return what `docker-compose config` reads."""
    values = resolve_values(
        model,
        {n: "given-value" for n, p in model.parameters.items() if p.required},
        None,
        lambda length: "g" * length,
    )
    images = {name: f"sl-cpkg-render/{name}:1" for name in model.components}
    out = compose_files(model, values, ComposeOptions(images=images))
    for name, data in out.files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    check = subprocess.run(
        [docker_compose(), "-p", "sl-cpkg-render", "config"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert check.returncode == 0, check.stderr
    assert "WARNING" not in check.stderr.upper(), check.stderr
    data = load_yaml(check.stdout).data
    assert isinstance(data, dict)
    return data


def test_every_compose_fixture_is_rendered() -> None:
    assert sorted(PROJECTS) == sorted(p.name for p in COMPOSE.iterdir())


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_docker_compose_accepts_converted_projects(name: str, tmp_path: Path) -> None:
    model = converted(name)
    config = rendered_config(model, tmp_path)
    services = config["services"]
    assert isinstance(services, dict)
    assert set(services) == set(model.components)
    for component, spec in model.components.items():
        service = services[component]
        assert service["networks"] == {"app": None}
        if spec.health is not None:
            assert service["healthcheck"]["retries"] == spec.health.retries
        wanted = {d.component for d in spec.depends_on}
        assert set(service.get("depends_on", {})) == wanted
        mounts = [m for m in service.get("volumes", []) if m["type"] == "volume"]
        targets = [m["target"] for m in mounts]
        assert {v.path for v in spec.volumes if v.subpath is None} <= set(targets)
        assert set(targets) <= {v.path for v in spec.volumes}


def test_docker_compose_reads_the_example_app_as_meant(tmp_path: Path) -> None:
    config = rendered_config(example("1.1.0"), tmp_path)
    services = config["services"]
    assert isinstance(services, dict)
    web, store, api = services["web"], services["store"], services["api"]
    assert web["ports"] == ["0.0.0.0:8080:8080/tcp"]  # the default of ${public_port:-8080}
    assert web["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert web["deploy"]["resources"]["limits"] == {"cpus": 0.5, "memory": "64M"}
    assert api["environment"]["ADMIN_PASSWORD"] == "g" * 16
    assert store["volumes"][0]["source"] == "store-data"
    assert config["volumes"] == {"store-data": {}}
    assert web["volumes"][0]["source"] == str(tmp_path / "configs/web/etc/shop/web.conf")
    assert json.dumps(config).count("sl-cpkg-render/") == len(services)


def test_docker_compose_reads_values_from_env_and_the_shell(tmp_path: Path) -> None:
    rendered_config(example("1.0.0"), tmp_path)
    env = {"PATH": "/usr/bin:/bin", "public_port": "18080", "SEALIFT_BIND_ADDRESS": "127.0.0.1"}
    check = subprocess.run(
        [docker_compose(), "config"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stderr
    assert "127.0.0.1:18080:8080/tcp" in check.stdout.replace("'", "").replace('"', "")


def test_sealift_render_as_compose_writes_what_docker_compose_runs(
    home: Path, tmp_path: Path
) -> None:
    from tests.conftest import run_sealift
    from tests.integration.test_bundle_support import shop_store

    shop_store(home)
    out = tmp_path / "shop"
    run_sealift(home, "render", "shop:1.0.0", "--as", "compose", "-o", str(out))
    assert sorted(p.name for p in out.iterdir()) == [".env", "README.md", "docker-compose.yml"]
    assert (out / ".env").stat().st_mode & 0o777 == 0o600  # it may hold secrets
    check = subprocess.run(
        [docker_compose(), "config"], cwd=out, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    services = load_yaml(check.stdout).data["services"]
    assert sorted(services) == ["api", "db", "web"]
    assert services["web"]["image"].startswith("example.com/shop/web@sha256:")
