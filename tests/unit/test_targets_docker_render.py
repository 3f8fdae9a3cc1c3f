"""Rendering a model for Docker (pure) and the streamed `docker load` tar."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from sealift.errors import ModelError
from sealift.model.load import parse_model_text
from sealift.model.params import render as render_params
from sealift.oci import media
from sealift.oci.descriptor import Platform
from sealift.oci.layout import Layout
from sealift.progress import NO_PROGRESS
from sealift.targets.docker.images import legacy_tar
from sealift.targets.docker.render import render
from sealift.targets.docker.target import job_state

MODEL = """
schema: sealift/v1
name: shop
version: 1.0.0
parameters:
  port: {type: integer, default: 8080}
components:
  web:
    image: reg.example/web:1@sha256:%s
    ports: [{port: 80, expose: true, host_port: "${port}"}, {port: 81}]
    env: {A: "1"}
    health: {http: {path: /up, port: 80}, interval: 1s}
    resources: {cpu: 500m, memory: 256Mi}
    configs: [{path: /etc/web.conf, content: "x=1\\n"}]
    depends_on: [db]
  db:
    image: reg.example/db:1
    volumes: [{name: data, path: /data}]
    replicas: 2
    restart: on-failure
""" % ("a" * 64)

AMD64 = Platform.parse("linux/amd64")
DIGESTS = {"web": "sha256:" + "b" * 64, "db": "sha256:" + "c" * 64}


def rendered(port: str = "8080") -> dict[str, dict[str, object]]:
    model = render_params(parse_model_text(MODEL), {"port": port})
    return {d.name: d.spec for d in render(model, "inst", AMD64, DIGESTS, "127.0.0.1")}


def test_docker_spec() -> None:
    web, db = rendered()["web"], rendered()["db"]
    assert web["image"] == DIGESTS["web"] and db["image"] == DIGESTS["db"]
    assert web["ports"] == [
        {"port": 80, "protocol": "tcp", "host_port": 8080, "host_ip": "127.0.0.1"}
    ]
    assert web["nano_cpus"] == 500_000_000 and web["memory"] == 256 * 2**20
    assert web["health"] == {
        "kind": "http",
        "port": 80,
        "path": "/up",
        "interval": 1.0,
        "timeout": 5.0,
        "retries": 3,
        "start_period": 0.0,
    }
    assert web["configs"] == [{"path": "/etc/web.conf", "content": "x=1\n", "mode": "0644"}]
    assert db["volumes"] == [{"name": "inst-db-data", "path": "/data"}]
    assert db["replicas"] == 2 and db["restart"] == "on-failure" and db["health"] is None
    json.dumps(web)  # the spec is recorded as JSON


def test_spec_hash_follows_parameters() -> None:
    model = parse_model_text(MODEL)
    one = render(render_params(model, {"port": "8080"}), "i", AMD64, DIGESTS)
    same = render(render_params(model, {"port": "8080"}), "i", AMD64, DIGESTS)
    other = render(render_params(model, {"port": "9090"}), "i", AMD64, DIGESTS)
    assert one[0].hash == same[0].hash != other[0].hash
    assert one[1].hash == other[1].hash


def test_published_port_with_replicas_is_refused_when_validated() -> None:
    text = MODEL.replace("    depends_on: [db]\n", "    depends_on: [db]\n    replicas: 2\n")
    with pytest.raises(ModelError) as caught:
        parse_model_text(text)
    assert caught.value.problems == [
        "components.web.replicas: 2 replicas cannot share the host port of ports[0]: "
        "use replicas: 1, or do not expose the port (line 16)"
    ]


def test_legacy_tar_streams_config_and_layers(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    config = layout.put_json({"architecture": "amd64", "os": "linux"}, media.OCI_CONFIG)
    layer_digest = layout.put_bytes(b"L" * 1000)
    manifest = {
        "schemaVersion": 2,
        "config": config.to_json(),
        "layers": [{"mediaType": media.OCI_LAYER_GZIP, "digest": layer_digest, "size": 1000}],
    }
    data = b"".join(legacy_tar(layout, manifest, "web:1", NO_PROGRESS))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        index = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        layer = tar.extractfile(index[0]["Layers"][0]).read()  # type: ignore[union-attr]
    assert index[0]["RepoTags"] == ["web:1"]
    assert index[0]["Config"] == config.digest.split(":")[1] + ".json"
    assert layer == b"L" * 1000


APPS = """
schema: sealift/v1
name: cloud
version: 1.0.0
volumes: {data: {}}
components:
  migrate:
    kind: job
    image: cloud/app:1
    volumes: [{name: data, path: /data}]
  web:
    image: cloud/app:1
    depends_on: [migrate, {component: migrate, condition: completed}]
    volumes:
      - {name: data, path: /srv, subpath: www, read_only: true}
      - {name: cache, path: /cache}
    configs: [{path: /run/secrets/pw, content: "pw", secret: true, uid: 7}]
    security: {cap_drop: [ALL], run_as_non_root: true}
    health: {http: {port: 80, headers: {Host: example.org}}}
"""


def test_wave_2_keys_are_in_the_spec_only_when_set() -> None:
    model = render_params(parse_model_text(APPS), {})
    digests = {"migrate": DIGESTS["web"], "web": DIGESTS["db"]}
    migrate, web = render(model, "inst", AMD64, digests)
    assert migrate.spec["kind"] == "job" and migrate.spec["restart"] == "no"
    assert migrate.spec["volumes"] == [{"name": "inst-data", "path": "/data", "shared": True}]
    assert "kind" not in web.spec and "security" not in migrate.spec
    assert web.spec["volumes"] == [
        {"name": "inst-data", "path": "/srv", "shared": True, "subpath": "www", "read_only": True},
        {"name": "inst-web-cache", "path": "/cache"},
    ]
    assert web.spec["configs"] == [
        {"path": "/run/secrets/pw", "content": "pw", "mode": "0400", "uid": 7, "secret": True}
    ]
    assert web.spec["security"] == {"cap_drop": ["ALL"], "run_as_non_root": True}
    assert web.spec["health"]["headers"] == {"Host": "example.org"}
    assert web.depends_on == ["migrate", "migrate"] and web.condition("migrate") == "completed"
    assert web.to_json()["conditions"] == {"migrate": "completed"}
    assert "conditions" not in migrate.to_json()


def test_a_job_shows_as_completed_or_failed_not_as_exited() -> None:
    assert job_state({"Status": "exited", "ExitCode": 0}) == "completed"
    assert job_state({"Status": "exited", "ExitCode": 3}) == "failed (exit 3)"
    assert job_state({"Status": "restarting", "Restarting": True, "ExitCode": 3}) == "running"
    assert job_state({"Status": "running", "Running": True}) == "running"
