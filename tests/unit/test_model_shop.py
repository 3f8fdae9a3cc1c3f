"""The shop of DESIGN.md, complete: it validates, normalizes and round-trips."""

from __future__ import annotations

from sealift.model.app import AppModel
from sealift.model.load import parse_model_data, parse_model_text
from sealift.model.normal import canonical_json, from_json, to_json, with_images
from sealift.model.order import start_order

SHOP_YAML = """\
schema: sealift/v1
name: shop
version: 1.0.0
description: A small shop
parameters:
  public_port: {type: integer, default: 8080, description: Port of the storefront}
  admin_password: {secret: true, generate: 16}
  debug: {type: boolean, default: false}
  region: {description: Where the shop sells}
components:
  web:
    image: registry.example.com/shop/web:1.0.0
    env: {API_URL: "http://api:8080", DEBUG: "${debug}", WORKERS: 4}
    ports:
      - {port: 8080, expose: true, host_port: "${public_port}", name: http}
    depends_on: [api]
    health: {http: {path: /, port: 8080}, interval: 5s, retries: 10}
    replicas: 1
    labels: {team: shop}
  api:
    image: registry.example.com/shop/api:1.0.0
    command: /bin/api --listen ":8080"
    entrypoint: ["/bin/sh", "-c"]
    env: {PASSWORD: "${admin_password}", REGION: "${region}"}
    working_dir: /srv
    user: "1000:1000"
    ports: [{port: 8080}, {port: 9090, protocol: udp}]
    depends_on: [store, queue]
    configs:
      - {path: /etc/api/api.conf, content: "level=info\\nregion=${region}\\nliteral=$${x}\\n"}
      - {path: /etc/api/key, content: secret, mode: 0600}
    resources: {cpu: 500m, memory: 256Mi}
    health: {exec: {command: ["/bin/check", "--quick"]}, timeout: 1m30s, start_period: 500ms}
    restart: on-failure
  queue:
    image: registry.example.com:5000/shop/queue@sha256:%s
    health: {tcp: {port: 5672}}
    restart: no
  store:
    image: registry.example.com/shop/store:1.0.0
    stateful: true
    volumes: [{name: data, path: /data, size: 1Gi}]
    health: {tcp: {port: 9000}}
    resources: {cpu: 2, memory: 1G}
""" % ("a" * 64)


def shop() -> AppModel:
    return parse_model_text(SHOP_YAML)


def test_the_shop_validates_with_every_field_typed() -> None:
    model = shop()
    web, api, store = (model.components[n] for n in ("web", "api", "store"))
    assert model.schema_ == "sealift/v1"
    assert web.env == {"API_URL": "http://api:8080", "DEBUG": "${debug}", "WORKERS": "4"}
    assert web.ports[0].host_port == "${public_port}"
    assert api.command == ["/bin/api", "--listen", ":8080"]
    assert api.configs[1].mode == "0600"
    assert api.health is not None and api.health.timeout == 90.0
    assert api.health.start_period == 0.5 and api.health.interval == 10.0
    assert api.resources is not None and api.resources.cpu == 500
    assert api.resources.memory == 256 * 2**20
    assert store.volumes[0].size == 2**30
    assert store.resources is not None and store.resources.cpu == 2000
    assert model.components["queue"].restart == "no"
    assert model.parameters["region"].required is True
    assert model.parameters["public_port"].required is False
    assert model.parameters["admin_password"].required is False


def test_normalized_json_round_trips_and_writes_canonical_units() -> None:
    model = shop()
    data = to_json(model)
    assert from_json(data) == model
    assert parse_model_data(data) == model
    assert data["components"]["api"]["health"]["timeout"] == "1m30s"
    assert data["components"]["api"]["health"]["start_period"] == "500ms"
    assert data["components"]["store"]["resources"] == {"cpu": "2", "memory": "1G"}
    assert data["components"]["store"]["volumes"][0]["size"] == "1Gi"
    assert data["schema"] == "sealift/v1"
    assert "description" not in data["components"]["web"]
    assert canonical_json(from_json(data)) == canonical_json(model)
    assert canonical_json(model).startswith(b'{"components":{"api":{')


def test_with_images_pins_only_the_named_components() -> None:
    digest = "sha256:" + "b" * 64
    pinned = with_images(shop(), {"web": f"registry.example.com/shop/web:1.0.0@{digest}"})
    assert pinned.components["web"].image.endswith("@" + digest)
    assert pinned.components["api"].image == "registry.example.com/shop/api:1.0.0"


def test_start_order_puts_dependencies_first_in_sorted_levels() -> None:
    assert start_order(shop()) == [["queue", "store"], ["api"], ["web"]]
