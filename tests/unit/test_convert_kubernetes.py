"""Kubernetes manifests -> app model: Deployments, StatefulSet + PVCs, ConfigMap, Secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sealift.cli.convert_cmd import convert_files
from sealift.convert import ConversionResult, ConvertInput, SourceFile, convert_kubernetes
from sealift.errors import ConvertError
from sealift.model.load import parse_model_data

SHOP = Path(__file__).parent.parent / "fixtures" / "k8s" / "shop"


@pytest.fixture(scope="module")
def shop() -> ConversionResult:
    return convert_files([SHOP / "config.yaml", SHOP / "apps.yaml", SHOP / "services.yaml"])


@pytest.fixture(scope="module")
def comps(shop: ConversionResult) -> dict[str, Any]:
    components: dict[str, Any] = shop.model["components"]
    return components


def convert_text(text: str) -> ConversionResult:
    inp = ConvertInput((SourceFile("/k/all.yaml", text),), directory_name="k")
    result = convert_kubernetes(inp)
    parse_model_data(result.model, "converted")
    return result


def test_shop_validates_with_name_and_version_from_labels(shop: ConversionResult) -> None:
    model = parse_model_data(shop.model, "shop")
    assert set(model.components) == {"web", "proxy", "worker", "db", "node-exporter"}
    assert shop.model["name"] == "shop"
    assert shop.model["version"] == "2.3.1"


def test_container_fields(comps: dict[str, Any]) -> None:
    web = comps["web"]
    assert web["image"] == "registry.example.com/shop/web:2.3.1"
    assert web["entrypoint"] == ["gunicorn"]
    assert web["command"] == ["shop.wsgi", "--bind", "0.0.0.0:8000"]
    assert web["working_dir"] == "/srv/app"
    assert web["user"] == "1000:1000"
    assert web["replicas"] == 3
    assert web["resources"] == {"cpu": "1000m", "memory": "1Gi"}  # limits over requests
    assert comps["worker"]["resources"] == {"cpu": "100m", "memory": "128Mi"}  # requests


def test_env_from_config_map_and_secret(shop: ConversionResult, comps: dict[str, Any]) -> None:
    env = comps["web"]["env"]
    assert env["DB_HOST"] == "db"
    assert env["LOG_LEVEL"] == "info"
    assert env["APP_REDIS_URL"] == "redis://cache:6379/0"
    assert env["DB_PASSWORD"] == "${db_credentials_password}"
    assert "POD_NAME" not in env
    assert comps["worker"]["env"] == {
        "password": "${db_credentials_password}",
        "username": "${db_credentials_username}",
    }
    assert shop.model["parameters"]["db_credentials_password"] == {
        "secret": True,
        "default": "s3cret-db",
        "description": "key password of Secret db-credentials",
    }
    assert shop.model["parameters"]["db_credentials_username"]["default"] == "shop"


def test_probes_readiness_preferred(comps: dict[str, Any]) -> None:
    assert comps["web"]["health"] == {
        "http": {"path": "/health/", "port": 8000},
        "interval": "10s",
        "timeout": "3s",
        "start_period": "5s",
        "retries": 6,
    }
    assert comps["worker"]["health"] == {
        "exec": {"command": ["celery", "inspect", "ping"]},
        "interval": "1m",
    }


def test_storage_pvc_claim_templates_and_mounted_files(comps: dict[str, Any]) -> None:
    assert comps["db"]["stateful"] is True
    assert comps["db"]["volumes"] == [
        {"name": "data", "path": "/var/lib/postgresql/data", "size": "10Gi"}
    ]
    assert comps["worker"]["volumes"] == [
        {"name": "uploads", "path": "/srv/uploads", "size": "5Gi"}
    ]
    assert comps["worker"]["configs"] == [
        {"path": "/etc/creds/db-password", "content": "${db_credentials_password}", "mode": "0400"}
    ]
    nginx = comps["proxy"]["configs"]
    assert [c["path"] for c in nginx] == ["/etc/nginx/nginx.conf"]
    assert nginx[0]["mode"] == "0444"
    assert "proxy_pass http://web:8000" in nginx[0]["content"]


def test_services_give_ports_and_exposure(comps: dict[str, Any]) -> None:
    assert comps["proxy"]["ports"] == [{"port": 80, "expose": True, "host_port": 30080}]
    assert comps["web"]["ports"] == [{"port": 8000, "name": "http"}]
    assert comps["db"]["ports"] == [{"port": 5432, "name": "pg"}]


def test_warnings_name_what_was_lost(shop: ConversionResult) -> None:
    warnings = "\n".join(shop.warnings)
    assert (
        "Deployment web: not mapped: spec.strategy, pod.serviceAccountName, "
        "containers[1] (log-shipper), container.livenessProbe"
    ) in shop.warnings
    assert "Ingress shop: this kind is not converted" in shop.warnings
    assert "DaemonSet node-exporter: runs one pod per node" in warnings
    assert "emptyDir volume at /var/cache/nginx" in warnings
    assert "POD_NAME comes from fieldRef" in warnings


def test_load_balancer_without_node_port_uses_port() -> None:
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1, ports: [{containerPort: 9000, protocol: UDP}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api-svc}
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{port: 53, targetPort: 9000, protocol: UDP}]
"""
    result = convert_text(text)
    assert result.model["components"]["api"]["ports"] == [
        {"port": 9000, "protocol": "udp", "expose": True, "host_port": 53}
    ]
    assert result.model["name"] == "k"
    assert any("reach api by the component name, not api-svc" in w for w in result.warnings)


def test_unexpected_shapes_raise_convert_error() -> None:
    with pytest.raises(ConvertError, match="no Deployment, StatefulSet, DaemonSet or Job"):
        convert_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    with pytest.raises(
        ConvertError, match=r"all.yaml: document 1: Deployment has no metadata.name"
    ):
        convert_text("apiVersion: v1\nkind: Deployment\nmetadata: {}\n")
    with pytest.raises(ConvertError, match="not base64"):
        convert_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: '!!'}\n")
