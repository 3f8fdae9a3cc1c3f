"""`sealift convert` run as a user would, on a compose project directory and on manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from sealift.model.load import parse_model_text
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
    assert list(yaml.safe_load(text)) == ["schema", "name", "version", "parameters", "components"]
    model = parse_model_text(text, str(output))
    assert model.name == "shop"
    assert model.components["proxy"].configs[0].path == "/etc/nginx/nginx.conf"
    assert "warning: services.worker: not mapped: cap_add" in result.stderr.splitlines()
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
