"""The model of wave 2 (shared volumes, jobs, security, secret configs, http headers): what it
accepts, every rule with its path and line, the schema, and that a first-release model
normalizes to exactly the JSON the first release wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.errors import ModelError
from sealift.model.load import parse_model_text
from sealift.model.normal import canonical_json, from_json, to_json
from sealift.model.params import secret_texts
from sealift.model.schema import json_schema
from sealift.yamltext import load_yaml
from tests.unit.test_model_schema import violations

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "normalized"

APP = """\
schema: sealift/v1
name: cloud
version: 1.0.0
volumes:
  data: {size: 10Gi}
  logs:
components:
  migrate:
    kind: job
    image: cloud/app:1
    volumes: [{name: data, path: /data}, {name: logs, path: /logs}]
  app:
    image: cloud/app:1
    user: "1000:1000"
    depends_on:
      - db
      - {component: migrate, condition: completed}
      - {component: db, condition: healthy}
    volumes:
      - {name: data, path: /var/www/html}
      - {name: data, path: /var/www/html/config, subpath: ./config//, read_only: true}
      - {name: cache, path: /cache, size: 1Gi}
    security:
      read_only_root: true
      cap_drop: [ALL]
      cap_add: [CAP_NET_BIND_SERVICE, CHOWN]
      no_new_privileges: true
      run_as_non_root: true
    configs:
      - {path: /run/secrets/db_password, content: "pw", secret: true}
      - {path: /etc/x.conf, content: "x", uid: 1000, gid: 1000, mode: "0440"}
    health:
      http: {path: /healthz, port: 8080, headers: {Host: example.org}}
  db:
    image: cloud/db:1
    depends_on: [{component: migrate, condition: started}]
    health: {tcp: {port: 5432}}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model_text(text)
    return caught.value.problems


@pytest.mark.parametrize(
    "source",
    ["examples/shop/1.0.0/sealift.yaml", "examples/shop/1.1.0/sealift.yaml", "every-key.yaml"],
)
def test_first_release_models_normalize_to_the_first_release_json(source: str) -> None:
    """The .json files were written by the code of commit 16a3850 (the first release)."""
    path = ROOT / source if source.startswith("examples") else FIXTURES / source
    expected = FIXTURES / (
        f"shop-{path.parent.name}.json" if source.startswith("examples") else "every-key.json"
    )
    assert canonical_json(parse_model_text(path.read_text())) == expected.read_bytes()


def test_new_keys_are_read_normalized_and_round_trip() -> None:
    model = parse_model_text(APP)
    app, migrate = model.components["app"], model.components["migrate"]
    assert migrate.is_job and migrate.restart == "no" and not app.is_job
    assert app.dependency_names == ["db", "migrate", "db"]
    assert app.volumes[1].subpath == "config" and app.volumes[1].read_only
    assert app.security is not None and app.security.cap_add == ["NET_BIND_SERVICE", "CHOWN"]
    assert [c.mode for c in app.configs] == ["0400", "0440"]
    assert model.volumes["data"].size == 10 * 2**30 and model.volumes["logs"].size is None
    data = to_json(model)
    assert data["volumes"] == {"data": {"size": "10Gi"}, "logs": {}}
    assert data["components"]["app"]["depends_on"] == [
        "db",
        {"component": "migrate", "condition": "completed"},
        "db",
    ]
    assert data["components"]["migrate"]["kind"] == "job"
    assert "kind" not in data["components"]["app"]
    assert data["components"]["app"]["configs"][0]["secret"] is True
    assert "secret" not in data["components"]["app"]["configs"][1]
    assert "read_only" not in data["components"]["app"]["volumes"][0]
    assert data["components"]["app"]["health"]["http"]["headers"] == {"Host": "example.org"}
    assert "headers" not in data["components"]["db"]["health"].get("http", {})
    assert from_json(data) == model


def test_security_leaves_out_what_keeps_its_default() -> None:
    text = APP.replace("      cap_drop: [ALL]\n", "").replace("      read_only_root: true\n", "")
    security = to_json(parse_model_text(text))["components"]["app"]["security"]
    assert "cap_drop" not in security and "read_only_root" not in security


def test_every_wave_2_rule_with_path_and_line() -> None:
    text = (
        APP.replace("    kind: job\n", "    kind: job\n    replicas: 2\n    restart: always\n")
        .replace(
            "      - {name: data, path: /var/www/html}\n",
            "      - {name: data, path: /x, size: 1Gi}\n",
        )
        .replace("subpath: ./config//", "subpath: ../etc")
        .replace("cap_drop: [ALL]", "cap_drop: [net_admin, NOPE]")
        .replace("    health: {tcp: {port: 5432}}\n", "    volumes: [{name: cache, path: /c}]\n")
        .replace("{component: db, condition: healthy}", "{component: db, condition: completed}")
        .replace("  logs:\n", "  logs:\n  unused: {}\n")
    )
    text += "    ports: [{port: 80, expose: true}]\n    replicas: 2\n"
    assert problems_of(text) == [
        "volumes.unused: no component mounts volume 'unused': mount it or remove it (line 7)",
        "components.migrate.replicas: a job runs once: replicas must be 1 (line 11)",
        "components.migrate.restart: a job runs to completion: use restart no or on-failure "
        "(line 12)",
        "components.app.depends_on[2].condition: 'db' is not a job (kind: job), so it never "
        "completes: use condition started or healthy (line 21)",
        "components.app.volumes[0].size: 'data' is a shared volume: give its size where the app "
        "declares it (volumes.data.size), not on the mount (line 23)",
        "components.app.volumes[1].subpath: subpath '../etc' must be a relative path inside the "
        "volume, without '..' (line 24)",
        "components.app.security.cap_drop[0]: unknown capability 'net_admin' (write it in upper "
        "case): use a Linux capability such as NET_BIND_SERVICE (CAP_ prefix optional), or ALL "
        "(line 28)",
        "components.app.security.cap_drop[1]: unknown capability 'NOPE': use a Linux capability "
        "such as NET_BIND_SERVICE (CAP_ prefix optional), or ALL (line 28)",
        "components.db.volumes[0].name: volume 'cache' is private to component 'app': to share "
        "it, declare it under the app's volumes (cache: {}) (line 40)",
        "components.db.replicas: 2 replicas cannot share the host port of ports[0]: use "
        "replicas: 1, or do not expose the port (line 42)",
    ]


def test_a_job_exposes_no_port_and_names_cannot_meet_on_the_target() -> None:
    text = APP.replace(
        "    volumes: [{name: data, path: /data}, {name: logs, path: /logs}]\n",
        "    volumes: [{name: data, path: /data}, {name: logs, path: /logs}]\n"
        "    ports: [{port: 80, expose: true}]\n",
    ).replace("  logs:\n", "  logs:\n  app-cache:\n")
    text = text.replace("{name: cache, path: /cache, size: 1Gi}", "{name: cache, path: /cache}")
    text = text.replace(
        "      - {name: data, path: /var/www/html}\n",
        "      - {name: app-cache, path: /ac}\n      - {name: data, path: /var/www/html}\n",
    )
    assert problems_of(text) == [
        "components.migrate.ports[0].expose: a job cannot expose a port: remove expose (line 13)",
        "components.app.volumes[3].name: private volume 'cache' of 'app' and the shared volume "
        "'app-cache' would get one name on the target: rename one of them (line 25)",
    ]


def test_schema_accepts_every_new_key() -> None:
    schema_doc = json_schema()
    assert violations(load_yaml(APP).data, schema_doc, schema_doc) == []
    bad = load_yaml(APP).data
    bad["components"]["app"]["security"]["run_as_root"] = True
    bad["volumes"]["Bad_Name"] = {}
    assert sorted(violations(bad, schema_doc, schema_doc)) == [
        ".components.app.security: matches no option",  # (Security or null)
        ".volumes.Bad_Name: not allowed",
    ]


def test_secret_config_contents_are_secret_texts() -> None:
    text = APP.replace('content: "pw", secret: true', 'content: "pw=${token}", secret: true')
    text = text.replace("components:\n", "parameters:\n  token: {}\ncomponents:\n", 1)
    texts = secret_texts(parse_model_text(text), {"token": "abc123"})
    assert texts == ["pw=${token}", "pw=abc123"]  # not the plain config, not the public value
