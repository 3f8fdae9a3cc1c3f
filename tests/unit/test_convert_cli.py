"""`sealift convert` run as a user would, on a compose project directory and on manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

from sealift.model.load import parse_model_text
from sealift.yamltext import load_yaml
from tests.conftest import run_sealift

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_convert_compose_dir_writes_valid_model(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "webapp"
    shutil.copytree(FIXTURES / "compose" / "webapp", project)
    output = tmp_path / "out" / "sealift.yaml"
    output.parent.mkdir()
    result = run_sealift(
        home,
        "convert",
        str(project / "compose.yaml"),
        str(project / "compose.override.yaml"),
        "-o",
        str(output),
        "--name",
        "shop",
    )
    text = output.read_text()
    assert list(load_yaml(text).data) == ["schema", "name", "version", "parameters", "components"]
    model = parse_model_text(text, str(output))
    assert model.name == "shop"
    assert model.components["proxy"].configs[0].path == "/etc/nginx/nginx.conf"
    assert "warning: services.proxy: not mapped: logging" in result.stderr.splitlines()
    assert result.stdout == ""
    assert [p.name for p in output.parent.iterdir()] == ["sealift.yaml"]  # no temp file left


def test_convert_manifests_to_stdout(home: Path) -> None:
    shop = FIXTURES / "k8s" / "shop"
    result = run_sealift(
        home,
        "convert",
        str(shop / "config.yaml"),
        str(shop / "apps.yaml"),
        str(shop / "services.yaml"),
    )
    model = parse_model_text(result.stdout)
    assert model.version == "2.3.1"
    assert model.components["db"].stateful is True
    assert "warning: Ingress shop: this kind is not converted" in result.stderr


def test_convert_error_is_one_line(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  web: {command: run}\n")
    result = run_sealift(home, "convert", str(bad), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: services.web: has neither `image` nor `build`; give it an image"
    ]


def test_convert_with_env_files_and_shell_variables(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "mattermost"
    shutil.copytree(FIXTURES / "compose" / "mattermost", project)
    (tmp_path / "tag.env").write_text("MATTERMOST_IMAGE_TAG=9.11.1\nTZ=${SITE_TZ}\n")
    compose = str(project / "docker-compose.yml")
    failed = run_sealift(home, "convert", compose, check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: services.postgres.volumes[0]: required variable POSTGRES_DATA_PATH is not "
        "set; set it in the environment, in .env or in a file given with --env-file"
    ]
    result = run_sealift(
        home,
        "convert",
        compose,
        "--env-file",
        str(project / "env.example"),
        "--env-file",
        str(tmp_path / "tag.env"),
        env={"SITE_TZ": "Europe/Paris", "APP_PORT": "8443"},
    )
    model = parse_model_text(result.stdout)
    assert model.name == "mattermost"
    assert model.components["mattermost"].image == "mattermost/mattermost-enterprise-edition:9.11.1"
    data = load_yaml(result.stdout).data
    assert data["parameters"]["TZ"]["default"] == "Europe/Paris"  # env file value, from shell
    assert data["parameters"]["APP_PORT"]["default"] == 8443  # the shell wins
    assert data["parameters"]["SES_USER"]["default"] == ""
    assert "warning: services.mattermost: not mapped: pids_limit, tmpfs" in result.stderr
