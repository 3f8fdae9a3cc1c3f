"""Compose -> app model, on a web app shaped like real ones (proxy, web, worker, db, cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sealift.cli.convert_cmd import convert_files
from sealift.convert import ConversionResult, ConvertInput, SourceFile, convert_compose
from sealift.errors import ConvertError
from sealift.model.load import parse_model_data

WEBAPP = Path(__file__).parent.parent / "fixtures" / "compose" / "webapp"


def convert_text(
    text: str, files: dict[str, str] | None = None, name: str | None = None
) -> ConversionResult:
    inp = ConvertInput(
        (SourceFile("/proj/compose.yaml", text),), files or {}, name=name, directory_name="proj"
    )
    result = convert_compose(inp)
    parse_model_data(result.model, "converted")
    return result


@pytest.fixture(scope="module")
def webapp() -> ConversionResult:
    return convert_files([WEBAPP / "compose.yaml", WEBAPP / "compose.override.yaml"])


@pytest.fixture(scope="module")
def comps(webapp: ConversionResult) -> dict[str, Any]:
    components: dict[str, Any] = webapp.model["components"]
    return components


def test_webapp_validates_and_keeps_every_service(webapp: ConversionResult) -> None:
    model = parse_model_data(webapp.model, "webapp")
    assert set(model.components) == {"proxy", "web", "worker", "db", "cache", "adminer"}
    assert webapp.model["name"] == "shop-app"
    assert webapp.model["version"] == "0.1.0"


def test_build_without_image_is_named_after_project(
    webapp: ConversionResult, comps: dict[str, Any]
) -> None:
    assert comps["web"]["image"] == "shop-app-web:latest"
    assert any("shop-app-web:latest" in w for w in webapp.warnings)


def test_variables_become_parameters_with_dotenv_defaults(
    webapp: ConversionResult, comps: dict[str, Any]
) -> None:
    params = webapp.model["parameters"]
    assert params["HTTP_PORT"] == {
        "default": 8088,
        "type": "integer",
        "description": "compose variable ${HTTP_PORT}",
    }
    assert params["WEB_WORKERS"]["default"] == "4"
    assert params["POSTGRES_PASSWORD"]["description"] == "set the database password"
    assert "default" not in params["POSTGRES_PASSWORD"]
    assert params["POSTGRES_PASSWORD"]["secret"] is True
    assert comps["web"]["command"][-1] == "${WEB_WORKERS}"
    assert comps["web"]["env"]["DATABASE_URL"] == (
        "postgres://shop:${POSTGRES_PASSWORD}@db:5432/shop"
    )


def test_variable_in_image_is_resolved_from_dotenv(
    webapp: ConversionResult, comps: dict[str, Any]
) -> None:
    assert comps["worker"]["image"] == "registry.example.com/shop/web:1.5.0"
    assert any("${TAG}" in w for w in webapp.warnings)


def test_environment_merges_env_file_lists_and_overrides(comps: dict[str, Any]) -> None:
    env = comps["web"]["env"]
    assert env["LOG_LEVEL"] == "info"  # from app.env, `export` stripped
    assert env["ALLOWED_HOSTS"] == "shop.example.com,localhost"
    assert env["TEMPLATE"] == "$${literal}"  # literal text stays literal
    assert env["DEBUG"] == "true"  # the override file wins
    assert env["PRICE_FORMAT"] == "$amount"  # $$ is a literal $
    assert env["SECRET_KEY"] == "${SECRET_KEY}"
    assert comps["worker"]["env"]["C_FORCE_ROOT"] == "${C_FORCE_ROOT}"


def test_ports_short_long_ranges_and_override(comps: dict[str, Any]) -> None:
    assert comps["proxy"]["ports"] == [
        {"port": 80, "expose": True, "host_port": "${HTTP_PORT}"},
        {"port": 443, "expose": True, "host_port": 8443},
        {"port": 9000, "protocol": "udp", "expose": True, "host_port": 8080},
        {"port": 9001, "protocol": "udp", "expose": True, "host_port": 8081},
    ]
    assert comps["web"]["ports"] == [{"port": 8000, "expose": True, "host_port": 8000}]
    assert comps["cache"]["ports"] == [{"port": 6379}]
    assert comps["adminer"]["ports"] == [{"port": 8080, "expose": True, "host_port": 8081}]


def test_depends_on_list_and_conditions(comps: dict[str, Any]) -> None:
    started = {"condition": "started"}
    assert comps["web"]["depends_on"] == ["db", {"component": "cache", **started}]
    assert comps["worker"]["depends_on"] == [
        {"component": "db", **started},
        {"component": "cache", **started},
    ]
    assert comps["proxy"]["depends_on"] == [{"component": "web", **started}]


def test_volumes_bind_files_and_secrets(webapp: ConversionResult, comps: dict[str, Any]) -> None:
    assert comps["db"]["stateful"] is True
    assert comps["db"]["volumes"] == [{"name": "db-data", "path": "/var/lib/postgresql/data"}]
    assert comps["cache"]["volumes"] == [{"name": "redis-data", "path": "/data"}]
    nginx_conf = comps["proxy"]["configs"][0]
    assert nginx_conf["path"] == "/etc/nginx/nginx.conf"
    assert "proxy_pass http://web:8000" in nginx_conf["content"]
    secret = {
        "path": "/run/secrets/db_password",
        "content": "s3cret-db\n",
        "secret": True,
        "mode": "0400",
    }
    assert secret in comps["db"]["configs"]
    html = {"name": "nginx-html", "path": "/usr/share/nginx/html", "read_only": True}
    assert html in comps["proxy"]["volumes"]
    assert any(
        "host directory ./nginx/html becomes the persistent volume" in w for w in webapp.warnings
    )


def test_healthchecks(comps: dict[str, Any]) -> None:
    assert comps["web"]["health"] == {
        "http": {"path": "/health/", "port": 8000},
        "interval": "30s",
        "timeout": "5s",
        "start_period": "90s",
        "retries": 5,
    }
    assert comps["db"]["health"]["exec"] == {
        "command": ["/bin/sh", "-c", "pg_isready -U shop -d shop"]
    }
    assert comps["cache"]["health"]["exec"]["command"][-1] == "redis-cli ping || exit 1"


def test_deploy_restart_user_labels(webapp: ConversionResult, comps: dict[str, Any]) -> None:
    web = comps["web"]
    assert web["replicas"] == 1  # two replicas cannot share host port 8000
    assert any("2 replicas cannot share the published host port" in w for w in webapp.warnings)
    assert web["resources"] == {"cpu": "500m", "memory": "512Mi"}
    assert web["user"] == "1000:1000"
    assert web["working_dir"] == "/srv/app"
    assert web["labels"] == {"com.example.team": "shop"}
    assert comps["worker"]["restart"] == "on-failure"
    assert comps["proxy"]["restart"] == "unless-stopped"
    assert comps["web"]["restart"] == "no"  # Compose's default, written out
    assert comps["cache"]["command"] == ["redis-server", "--save", "60", "1"]  # override wins


def test_unmapped_keys_are_one_warning_per_component(webapp: ConversionResult) -> None:
    assert "services.proxy: not mapped: logging" in webapp.warnings
    assert "services.web: not mapped: deploy.resources.reservations" in webapp.warnings
    assert any("adminer (debug)" in w for w in webapp.warnings)


def test_name_option_wins_and_is_normalized() -> None:
    result = convert_text("name: ignored\nservices: {a: {image: x}}\n", name="My_Shop 2")
    assert result.model["name"] == "my-shop-2"
    result = convert_text("services: {a: {image: x}}\n")
    assert result.model["name"] == "proj"


def test_interpolation_forms() -> None:
    text = (
        "services:\n"
        "  app:\n"
        "    image: app:${TAG-1.0}\n"
        "    environment:\n"
        "      - A=${A:-x}\n"
        "      - B=${B?need B}\n"
        "      - C=$$HOME and $${X}\n"
        "      - D=$D\n"
        "    ports: ['${PORT}:80']\n"
    )
    result = convert_text(text, {"/proj/.env": "A=from-env\n"})
    params = result.model["parameters"]
    assert params["A"]["default"] == "from-env"
    assert params["B"]["description"] == "need B"
    assert params["PORT"]["type"] == "integer"
    env = result.model["components"]["app"]["env"]
    assert env == {"A": "${A}", "B": "${B}", "C": "$HOME and $${X}", "D": "${D}"}
    assert result.model["components"]["app"]["image"] == "app:1.0"


def test_duplicate_host_ports_are_kept_valid() -> None:
    text = "services: {a: {image: x, ports: ['80:80']}, b: {image: y, ports: ['80:8080']}}\n"
    result = convert_text(text)
    assert result.model["components"]["b"]["ports"] == [{"port": 8080}]
    assert any("already published by a" in w for w in result.warnings)


def test_healthcheck_none_and_disable() -> None:
    text = (
        "services: {a: {image: x, healthcheck: {test: [NONE]}},"
        " b: {image: y, healthcheck: {disable: true}}}\n"
    )
    comps = convert_text(text).model["components"]
    assert "health" not in comps["a"]
    assert "health" not in comps["b"]


def test_wget_shell_check_becomes_http() -> None:
    text = (
        "services: {a: {image: x, healthcheck: "
        "{test: 'wget -q --spider http://127.0.0.1/ready || exit 1', interval: 1m}}}\n"
    )
    health = convert_text(text).model["components"]["a"]["health"]
    assert health == {"http": {"path": "/ready", "port": 80}, "interval": "1m"}


def test_configs_content_and_environment_secret() -> None:
    text = (
        "services: {a: {image: x, configs: [app_conf], secrets: [{source: tok, target: t}]}}\n"
        "configs: {app_conf: {content: 'port=${PORT:-80}'}}\n"
        "secrets: {tok: {environment: API_TOKEN}}\n"
    )
    result = convert_text(text)
    configs = result.model["components"]["a"]["configs"]
    assert configs == [
        {"path": "/app_conf", "content": "port=${PORT}"},
        {"path": "/run/secrets/t", "content": "${API_TOKEN}", "secret": True},
    ]
    assert result.model["parameters"]["API_TOKEN"]["secret"] is True


def test_unexpected_shape_names_the_place() -> None:
    with pytest.raises(ConvertError, match=r"services.a.ports: expected a list"):
        convert_text("services: {a: {image: x, ports: '80:80'}}\n")
    with pytest.raises(ConvertError, match="neither `image` nor `build`"):
        convert_text("services: {a: {command: x}}\n")
    with pytest.raises(ConvertError, match=r"compose.yaml: not valid YAML \(line 3\)"):
        convert_text("services:\n  a: [\n")
