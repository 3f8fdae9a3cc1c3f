"""The Compose rendering (pure): what each part of the app model becomes in the Compose file
and `.env`, and what Compose cannot express."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sealift.errors import ModelError
from sealift.model.load import parse_model_data, parse_model_text
from sealift.render import composetext
from sealift.render.base import ImageRef, RenderInput
from sealift.render.compose import ComposeOptions, ComposeRendering, compose_files, render_compose
from sealift.yamltext import load_yaml

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "a" * 64


def app(**components: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "sealift/v1", "name": "demo", "version": "1.2.3", "components": components}


def rendered(
    data: dict[str, Any], values: dict[str, str] | None = None, **options: Any
) -> tuple[dict[str, Any], ComposeRendering]:
    model = parse_model_data(data, "demo")
    images = {name: f"demo/{name}:1" for name in model.components}
    out = compose_files(model, values or {}, ComposeOptions(images=images, **options))
    return load_yaml(out.files["docker-compose.yml"].decode()).data, out


def test_shop_uses_one_network_service_dns_health_gates_and_limits() -> None:
    model = parse_model_text((ROOT / "examples/shop/1.1.0/sealift.yaml").read_text(), "shop")
    images = {name: f"shop/{name}:1.1.0" for name in model.components}
    out = compose_files(
        model, {"public_port": "8080", "admin_password": "pw"}, ComposeOptions(images=images)
    )
    doc = load_yaml(out.files["docker-compose.yml"].decode()).data
    assert "version" not in doc and doc["networks"] == {"app": {}}
    web, api, store = (doc["services"][n] for n in ("web", "api", "store"))
    assert all(s["networks"] == ["app"] for s in doc["services"].values())
    assert web["environment"] == {"API_URL": "http://api:8081"}  # service-name DNS
    assert web["ports"] == ["${SEALIFT_BIND_ADDRESS:-0.0.0.0}:${public_port:-8080}:8080/tcp"]
    assert web["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert doc["services"]["worker"]["depends_on"] == {"store": {"condition": "service_healthy"}}
    assert web["deploy"]["resources"]["limits"] == {"cpus": "0.5", "memory": "64M"}
    assert api["environment"]["ADMIN_PASSWORD"] == "${admin_password}"
    assert web["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "http://127.0.0.1:8080/healthz" in web["healthcheck"]["test"][1]
    assert web["healthcheck"]["interval"] == "2s" and web["healthcheck"]["retries"] == 15
    assert store["volumes"] == [{"type": "volume", "source": "store-data", "target": "/data"}]
    assert doc["volumes"] == {"store-data": {}}
    assert web["restart"] == "always" and web["init"] is True
    assert web["volumes"] == [
        {
            "type": "bind",
            "source": "./configs/web/etc/shop/web.conf",
            "target": "/etc/shop/web.conf",
            "read_only": True,
        }
    ]
    assert out.files["configs/web/etc/shop/web.conf"] == b"title=Sealift Shop\n"
    env = out.files[".env"].decode().splitlines()
    assert "public_port='8080'" in env and "admin_password='pw'" in env
    assert "COMPOSE_PROJECT_NAME='shop'" in env and "# Host port of the storefront" in env
    assert out.warnings == []


def test_dependency_conditions_follow_the_model() -> None:
    doc, _ = rendered(
        app(
            migrate={"kind": "job", "image": "m:1", "restart": "on-failure"},
            db={"image": "db:1", "health": {"tcp": {"port": 5432}}},
            cache={"image": "c:1"},
            web={
                "image": "w:1",
                "depends_on": [
                    "db",
                    "cache",
                    {"component": "migrate", "condition": "completed"},
                    {"component": "db", "condition": "started"},
                ],
            },
        )
    )
    assert doc["services"]["web"]["depends_on"] == {
        "db": {"condition": "service_started"},  # the later item for db wins
        "cache": {"condition": "service_started"},  # healthy without a check = started
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert doc["services"]["migrate"]["restart"] == "on-failure:3"
    assert doc["services"]["web"]["restart"] == "always"


def test_shared_and_private_volumes_and_what_compose_cannot_mount() -> None:
    data = app(
        web={
            "image": "w:1",
            "volumes": [
                {"name": "data", "path": "/srv"},
                {"name": "data", "path": "/etc/app", "subpath": "config", "read_only": True},
                {"name": "cache", "path": "/cache"},
            ],
        },
        cron={
            "image": "w:1",
            "volumes": [
                {"name": "data", "path": "/srv"},
                {"name": "data", "path": "/srv/config/", "subpath": "config", "read_only": True},
            ],
        },
    )
    data["volumes"] = {"data": {"size": "1Gi"}}
    doc, out = rendered(data)
    assert doc["volumes"] == {"data": {}, "web-cache": {}}
    assert [m["source"] for m in doc["services"]["web"]["volumes"]] == ["data", "data", "web-cache"]
    assert doc["services"]["web"]["volumes"][1]["read_only"] is True
    assert doc["services"]["cron"]["volumes"] == [
        {"type": "volume", "source": "data", "target": "/srv"}  # /srv/config is seen through it
    ]
    assert len(out.warnings) == 2
    assert out.warnings[0].startswith("components.web.volumes[1]:")
    assert "the whole volume data is mounted at /etc/app" in out.warnings[0]
    assert out.warnings[1].startswith("components.cron.volumes[1]:")
    assert out.warnings[1].endswith("mount of the whole volume above it (not read-only)")


def test_secret_configs_are_compose_secrets_with_their_modes_listed() -> None:
    doc, out = rendered(
        app(
            web={
                "image": "w:1",
                "user": "1000:1000",
                "configs": [
                    {"path": "/run/secrets/token", "content": "${token}", "secret": True},
                    {"path": "/etc/x.conf", "content": "a=$${b}", "uid": 1000, "mode": "0440"},
                ],
            }
        )
        | {"parameters": {"token": {"secret": True}}},
        {"token": "T0k"},
    )
    web = doc["services"]["web"]
    assert web["secrets"] == [{"source": "web-run-secrets-token", "target": "/run/secrets/token"}]
    assert doc["secrets"] == {"web-run-secrets-token": {"file": "./secrets/web/run/secrets/token"}}
    assert out.files["secrets/web/run/secrets/token"] == b"T0k"
    assert out.files["configs/web/etc/x.conf"] == b"a=${b}"
    modes = {m.path: (m.mode, m.uid, m.gid, m.secret) for m in out.file_modes}
    assert modes == {
        "secrets/web/run/secrets/token": ("0400", None, None, True),
        "configs/web/etc/x.conf": ("0440", 1000, None, False),
    }
    readme = render_readme(out)
    assert "chmod 0400 secrets/web/run/secrets/token" in readme
    assert "chown 1000 configs/web/etc/x.conf" in readme


def render_readme(out: ComposeRendering) -> str:
    from sealift.render.compose import readme

    return readme(parse_model_data(app(x={"image": "x:1"}), "x"), out)


def test_security_settings_and_replicas() -> None:
    doc, out = rendered(
        app(
            web={
                "image": "w:1",
                "replicas": 3,
                "security": {
                    "read_only_root": True,
                    "cap_drop": ["ALL"],
                    "cap_add": ["CAP_NET_BIND_SERVICE"],
                    "no_new_privileges": True,
                    "run_as_non_root": True,
                },
            }
        )
    )
    web = doc["services"]["web"]
    assert web["read_only"] is True
    assert web["cap_drop"] == ["ALL"] and web["cap_add"] == ["NET_BIND_SERVICE"]
    assert web["security_opt"] == ["no-new-privileges:true"]
    assert web["deploy"] == {"replicas": 3}
    assert "run_as_non_root" in out.warnings[0]


def test_dollars_are_escaped_and_parameters_stay_compose_variables() -> None:
    doc, out = rendered(
        app(
            web={
                "image": "w:1",
                "command": ["sh", "-c", "echo $HOME ${greeting} $${literal}"],
                "env": {"A": "${greeting}-${odd}", "B": "$5"},
                "labels": {"l": "${not_a_param}"},
                "health": {"exec": {"command": ["test", "$X"]}},
                "ports": [{"port": 80, "expose": True, "host_port": "80${suffix}"}],
            }
        )
        | {
            "parameters": {
                "greeting": {"default": "hi"},
                "odd": {"default": "has ${brace}"},
                "suffix": {"type": "integer", "default": 80},
            }
        },
        {"greeting": "hi", "odd": "has ${brace}", "suffix": "80"},
    )
    web = doc["services"]["web"]
    assert web["command"] == ["sh", "-c", "echo $$HOME ${greeting} $${literal}"]
    assert web["environment"] == {"A": "${greeting}-has $${brace}", "B": "$$5"}
    assert web["labels"] == {"l": "$${not_a_param}"}
    assert web["healthcheck"]["test"] == ["CMD", "test", "$$X"]
    assert web["ports"] == ["${SEALIFT_BIND_ADDRESS:-0.0.0.0}:80${suffix:-80}:80/tcp"]
    env = out.files[".env"].decode()
    assert "greeting='hi'" in env and "odd=" not in env  # .env cannot carry '${'
    assert "# odd is written in the Compose file" in env


def test_values_made_later_are_left_empty_in_env() -> None:
    _, out = rendered(
        app(web={"image": "w:1", "env": {"P": "${pw}"}})
        | {"parameters": {"pw": {"secret": True, "generate": 16}}},
        {"pw": "generated-now"},
        later={"pw"},
        pull_never=True,
    )
    assert "pw=''" in out.files[".env"].decode().splitlines()
    assert b"generated-now" not in out.files["docker-compose.yml"]
    assert b"pull_policy: never" in out.files["docker-compose.yml"]


@pytest.mark.parametrize(
    ("value", "line"),
    [("plain", "k='plain'"), ("it's", 'k="it\'s"'), ("a\"\\b'", 'k="a\\"\\\\b\'"')],
)
def test_env_lines_quote_values(value: str, line: str) -> None:
    assert composetext.env_line("k", value) == line


def test_http_check_sends_headers_with_wget_or_curl() -> None:
    model = parse_model_data(
        app(w={"image": "w:1", "health": {"http": {"port": 8080, "headers": {"Host": "a.b"}}}}),
        "x",
    )
    health = model.components["w"].health
    assert health is not None
    test = composetext.healthcheck(health)["test"]
    assert test == [
        "CMD-SHELL",
        "wget -q -O /dev/null --header 'Host: a.b' http://127.0.0.1:8080/ || "
        "curl -fsS -o /dev/null -H 'Host: a.b' http://127.0.0.1:8080/",
    ]


def test_render_input_pins_images_by_digest_and_keeps_the_original() -> None:
    model = parse_model_data(app(web={"image": "reg.example/demo/web:1"}), "demo")
    image = ImageRef("reg.example/demo/web:1@" + DIGEST, DIGEST, "demo/web", "site:5000/x")
    result = render_compose(RenderInput(model, {}, {"web": image}))
    doc = load_yaml(result.files["docker-compose.yml"].decode()).data
    assert doc["services"]["web"]["image"] == f"site:5000/x/demo/web@{DIGEST}"
    assert doc["services"]["web"]["labels"] == {
        "sealift.io/original-image": "reg.example/demo/web:1@" + DIGEST
    }
    assert "docker-compose up -d" in result.files["README.md"].decode()


def test_parameters_that_would_set_compose_itself_are_refused() -> None:
    data = app(web={"image": "w:1"}) | {
        "parameters": {"DOCKER_HOST": {"default": "tcp://x"}, "ok": {"default": "1"}}
    }
    with pytest.raises(ModelError) as raised:
        rendered(data, {"DOCKER_HOST": "tcp://x", "ok": "1"})
    assert raised.value.problems == [
        "parameter 'DOCKER_HOST': a Compose file's variables named COMPOSE_*, DOCKER_* or "
        "SEALIFT_BIND_ADDRESS set Compose itself; rename the parameter"
    ]
