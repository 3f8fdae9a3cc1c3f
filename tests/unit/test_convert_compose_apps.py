"""Compose projects shaped like real self-hosted apps, converted and validated by the model.

Nextcloud (services sharing volumes, a bind-mounted data directory), Sentry self-hosted
(dozens of services from YAML anchors, `.env`, migrations as jobs), Mattermost (`.env`
required), and a project split with `include:` and `extends:`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sealift.cli.convert_cmd import convert_files
from sealift.convert import ConversionResult
from sealift.errors import ConvertError
from sealift.model.load import parse_model_data

COMPOSE = Path(__file__).parent.parent / "fixtures" / "compose"


def convert_app(
    name: str, *files: str, env_files: tuple[str, ...] = (), shell: dict[str, str] | None = None
) -> ConversionResult:
    result = convert_files(
        [COMPOSE / name / f for f in files],
        env_files=[COMPOSE / name / f for f in env_files],
        environment=shell or {},
    )
    parse_model_data(result.model, name)
    return result


def warned(result: ConversionResult, *parts: str) -> bool:
    return any(all(part in w for part in parts) for w in result.warnings)


@pytest.fixture(scope="module")
def nextcloud() -> ConversionResult:
    return convert_app("nextcloud", "compose.yaml")


@pytest.fixture(scope="module")
def sentry() -> ConversionResult:
    return convert_app("sentry", "docker-compose.yml")


def comps(result: ConversionResult) -> dict[str, Any]:
    components: dict[str, Any] = result.model["components"]
    return components


# --- Nextcloud --------------------------------------------------------------------------


def test_nextcloud_shares_the_app_volume_between_app_web_and_cron(
    nextcloud: ConversionResult,
) -> None:
    model = parse_model_data(nextcloud.model, "nextcloud")
    assert set(model.components) == {"db", "redis", "app", "web", "cron"}
    assert nextcloud.model["volumes"] == {"nextcloud": {}}
    app, web, cron = (comps(nextcloud)[c]["volumes"] for c in ("app", "web", "cron"))
    assert app == [{"name": "nextcloud", "path": "/var/www/html"}]
    assert web == [{"name": "nextcloud", "path": "/var/www/html", "read_only": True}]
    assert cron == [
        {"name": "nextcloud", "path": "/var/www/html"},
        {
            "name": "nextcloud",
            "path": "/var/www/html/config",
            "read_only": True,
            "subpath": "config",
        },
    ]


def test_nextcloud_bind_mounted_data_dir_is_a_private_volume_with_a_warning(
    nextcloud: ConversionResult,
) -> None:
    db = comps(nextcloud)["db"]
    assert db["volumes"] == [{"name": "volumes-db", "path": "/var/lib/mysql"}]
    assert db["stateful"] is True
    assert "volumes-db" not in nextcloud.model["volumes"]
    assert warned(nextcloud, "services.db.volumes[0]", "./volumes/db", "persistent volume")


def test_nextcloud_host_paths_are_warnings_not_configs(nextcloud: ConversionResult) -> None:
    everything = repr(nextcloud.model)
    assert "/etc/localtime" not in everything
    assert "docker.sock" not in everything
    assert warned(nextcloud, "services.db.volumes[1]", "/etc/localtime", "not read")
    assert warned(nextcloud, "services.app.volumes[2]", "/var/run/docker.sock", "not read")


def test_nextcloud_project_files_and_secrets_become_configs(nextcloud: ConversionResult) -> None:
    app = comps(nextcloud)["app"]
    php = {
        "path": "/usr/local/etc/php/conf.d/zz-custom.ini",
        "content": "memory_limit = 512M\nupload_max_filesize = 10G\n",
    }
    secret = {
        "path": "/run/secrets/admin_password",
        "content": "admin-s3cret\n",
        "secret": True,
        "uid": 33,
        "gid": 33,
        "mode": "0440",
    }
    assert app["configs"] == [php, secret]


def test_nextcloud_restart_and_variables(nextcloud: ConversionResult) -> None:
    components = comps(nextcloud)
    assert components["app"]["restart"] == "always"
    assert components["cron"]["restart"] == "no"  # no `restart:` in the file
    params = nextcloud.model["parameters"]
    assert params["HTTP_PORT"]["default"] == 8081  # from .env
    assert params["NEXTCLOUD_TRUSTED_DOMAINS"]["default"] == "cloud.example.org"
    assert params["SMTP_HOST"]["default"] == ""  # listed without a value, unset: optional
    assert components["app"]["env"]["SMTP_HOST"] == "${SMTP_HOST}"
    assert components["app"]["depends_on"] == [
        {"component": "db", "condition": "started"},
        {"component": "redis", "condition": "started"},
    ]


# --- Sentry self-hosted -----------------------------------------------------------------


def test_sentry_keeps_every_service_from_anchors(sentry: ConversionResult) -> None:
    components = comps(sentry)
    assert len(components) == 23
    assert sentry.model["name"] == "sentry-self-hosted"  # COMPOSE_PROJECT_NAME in .env
    assert components["worker"]["command"] == ["run", "worker"]
    assert components["worker"]["entrypoint"] == ["/etc/sentry/entrypoint.sh"]
    assert components["worker"]["env"]["SNUBA"] == "http://snuba-api:1218"
    assert components["smtp"]["restart"] == "unless-stopped"  # from <<: *restart_policy
    assert components["redis"]["health"]["interval"] == "30s"  # anchor + .env
    assert components["redis"]["health"]["timeout"] == "90s"
    assert components["redis"]["health"]["retries"] == 10


def test_sentry_dotenv_values_are_interpolated(sentry: ConversionResult) -> None:
    components = comps(sentry)
    assert components["snuba-api"]["image"] == "getsentry/snuba:24.4.2"
    assert components["relay"]["image"] == "getsentry/relay:24.4.2"
    assert sentry.model["parameters"]["SENTRY_EVENT_RETENTION_DAYS"]["default"] == "90"
    assert sentry.model["parameters"]["SENTRY_BIND"]["default"] == 9000


def test_sentry_migrations_are_jobs_others_wait_for(sentry: ConversionResult) -> None:
    components = comps(sentry)
    for job in ("snuba-migrate", "sentry-migrate"):
        assert components[job]["kind"] == "job"
        assert components[job]["restart"] in ("no", "on-failure")
    assert "kind" not in components["web"]
    web_deps = components["web"]["depends_on"]
    assert {"component": "sentry-migrate", "condition": "completed"} in web_deps
    assert "postgres" in web_deps  # service_healthy: the plain name
    assert {"component": "memcached", "condition": "started"} in web_deps
    assert components["sentry-migrate"]["depends_on"] == [
        "postgres",
        {"component": "snuba-migrate", "condition": "completed"},
    ]
    assert warned(sentry, "services.sentry-migrate", "restart unless-stopped became on-failure")


def test_sentry_shared_and_private_volumes(sentry: ConversionResult) -> None:
    assert sentry.model["volumes"] == {"sentry": {}, "sentry-data": {}}
    components = comps(sentry)
    assert {"name": "sentry-data", "path": "/data"} in components["cron"]["volumes"]
    assert components["postgres"]["volumes"] == [
        {"name": "sentry-postgres", "path": "/var/lib/postgresql/data"}
    ]
    assert components["nginx"]["volumes"][0] == {
        "name": "nginx",
        "path": "/etc/nginx",
        "read_only": True,
    }
    assert warned(sentry, "volumes.sentry-postgres: not mapped: external")
    assert warned(sentry, "services.redis: not mapped: ulimits")
    assert warned(sentry, "services.web", "built from source", "sentry-self-hosted-local")


# --- Mattermost -------------------------------------------------------------------------


def test_mattermost_without_its_env_file_names_the_required_variable() -> None:
    with pytest.raises(ConvertError) as caught:
        convert_app("mattermost", "docker-compose.yml")
    message = str(caught.value)
    assert "required variable POSTGRES_DATA_PATH is not set" in message
    assert "--env-file" in message
    assert "\n" not in message


def test_mattermost_required_message_is_shown() -> None:
    shell = {"POSTGRES_DATA_PATH": "./db"}
    message = (
        r"POSTGRES_IMAGE_TAG is not set: copy env\.example to \.env and set POSTGRES_IMAGE_TAG"
    )
    with pytest.raises(ConvertError, match=message):
        convert_app("mattermost", "docker-compose.yml", shell=shell)


def test_mattermost_with_env_file(tmp_path: Path) -> None:
    result = convert_app("mattermost", "docker-compose.yml", env_files=("env.example",))
    components = comps(result)
    mattermost = components["mattermost"]
    assert mattermost["image"] == "mattermost/mattermost-enterprise-edition:9.11"
    assert mattermost["restart"] == "unless-stopped"
    assert mattermost["security"] == {"no_new_privileges": True}  # read_only: false
    assert components["postgres"]["security"] == {
        "read_only_root": True,
        "no_new_privileges": True,
    }
    params = result.model["parameters"]
    assert params["MM_SQLSETTINGS_DATASOURCE"]["default"].startswith(
        "postgres://mmuser:mmuser_password@postgres:5432/mattermost?"
    )
    assert params["MM_SERVICESETTINGS_SITEURL"]["default"] == "https://mm.example.com"
    assert params["SES_USER"]["default"] == ""
    assert params["POSTGRES_PASSWORD"]["secret"] is True
    assert warned(result, "services.mattermost: not mapped: pids_limit, tmpfs")


def test_mattermost_shell_wins_over_env_file() -> None:
    shell = {"MATTERMOST_IMAGE_TAG": "10.0", "DOMAIN": "chat.example.net"}
    result = convert_app(
        "mattermost", "docker-compose.yml", env_files=("env.example",), shell=shell
    )
    assert comps(result)["mattermost"]["image"].endswith(":10.0")
    siteurl = result.model["parameters"]["MM_SERVICESETTINGS_SITEURL"]["default"]
    assert siteurl == "https://chat.example.net"  # env file values see the shell


# --- include and extends ----------------------------------------------------------------


@pytest.fixture(scope="module")
def layered() -> ConversionResult:
    return convert_app("layered", "compose.yaml")


def test_include_brings_services_with_their_own_directories(layered: ConversionResult) -> None:
    components = comps(layered)
    assert set(components) == {"db", "metrics", "web", "worker"}
    db = components["db"]
    assert db["configs"] == [
        {
            "path": "/docker-entrypoint-initdb.d/init.sql",
            "content": "CREATE TABLE visits (at timestamptz);\n",
        }
    ]
    assert db["volumes"] == [{"name": "db-data", "path": "/var/lib/postgresql/data"}]
    metrics = components["metrics"]
    assert metrics["image"] == "prom/prometheus:v2.53.0"  # the include's env_file
    assert metrics["configs"][0]["content"] == "scrape_configs: []\n"


def test_extends_from_another_file_and_chains(layered: ConversionResult) -> None:
    web = comps(layered)["web"]
    assert web["image"] == "example/web:2.0"  # own value wins
    assert web["command"] == ["serve", "--port", "8000"]  # from webapp
    assert web["env"] == {"LOG_LEVEL": "warning", "ROLE": "web"}  # base < webapp < web
    assert web["labels"] == {"com.example.tier": "app"}  # from base, two files away
    assert web["restart"] == "unless-stopped"
    assert web["health"]["http"] == {"path": "/ping", "port": 8000}
    assert web["configs"][0]["content"] == "[app]\nname = layered\n"  # next to common.yaml
    assert web["depends_on"] == ["db"]


def test_extends_in_the_same_file(layered: ConversionResult) -> None:
    worker = comps(layered)["worker"]
    assert worker["command"] == ["worker", "--queues", "default"]
    assert worker["env"]["ROLE"] == "worker"
    assert worker["image"] == "example/web:2.0"
    assert worker["ports"] == [{"port": 8000}]
    assert warned(layered, "host port 8000/tcp is already published by web")
