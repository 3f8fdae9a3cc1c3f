"""The pure Kubernetes renderers: objects from the app model, Helm tokens, values and schema."""

from __future__ import annotations

from typing import Any

import pytest

from sealift.errors import ModelError
from sealift.model.load import parse_model_text
from sealift.render.base import ImageRef, RenderInput
from sealift.render.helm import render_helm
from sealift.render.kube.expr import Tokens
from sealift.render.kube.values import quantity, values_schema
from sealift.render.manifests import render_manifests
from sealift.yamltext import load_all

DIGEST = "sha256:" + "b" * 64
MODEL = """\
schema: sealift/v1
name: demo
version: 2.0.0
parameters:
  port: {type: integer, default: 8080}
  token: {secret: true, generate: 20}
  mode: {required: true}
volumes:
  shared: {size: 2Gi}
components:
  migrate:
    kind: job
    image: example.com/demo/migrate:2
    command: [migrate, "--token=${token}", "--cost=$5"]
    depends_on: [db]
  db:
    image: example.com/demo/db:2
    volumes: [{name: data, path: /var/lib/db, size: 5Gi}]
    ports: [{port: 5432}]
    health: {tcp: {port: 5432}, interval: 2s, start_period: 30s}
    user: "999:999"
    security: {read_only_root: true, cap_drop: [ALL], no_new_privileges: true}
  web:
    image: example.com/demo/web:2
    env: {TOKEN: "${token}", MODE: "mode=${mode}", PRICE: "$$(x) $9"}
    ports: [{port: 80, expose: true, host_port: "${port}", name: http}]
    volumes: [{name: shared, path: /srv, subpath: www, read_only: true}]
    configs:
      - {path: /etc/web.conf, content: "mode=${mode} {{ not a template }}\\n"}
      - {path: /etc/token, content: "${token}"}
    depends_on: [{component: migrate, condition: completed}]
  worker:
    image: example.com/demo/worker:2
    replicas: 2
    volumes: [{name: shared, path: /srv}]
"""


def _input(values: dict[str, str], text: str = MODEL) -> RenderInput:
    model = parse_model_text(text)
    images = {
        n: ImageRef(f"{c.image}@{DIGEST}", DIGEST, f"demo/{n}") for n, c in model.components.items()
    }
    return RenderInput(model, values, images)


def _objects(text: bytes) -> dict[tuple[str, str], dict[str, Any]]:
    docs = [d.data for d in load_all(text.decode()) if d.data]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    rendering = render_manifests(_input({"port": "9000", "token": "s3cr$t", "mode": "fast"}))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path, content in rendering.files.items():
        if path.endswith(".yaml") and path != "kustomization.yaml":
            found.update(_objects(content))
    return found


def _container(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def test_private_volume_makes_a_statefulset_with_a_claim_template() -> None:
    objs = manifests()
    db = objs[("StatefulSet", "db")]
    claim = db["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert "storageClassName" not in claim["spec"]
    assert ("Deployment", "web") in objs and ("Deployment", "worker") in objs


def test_shared_volume_is_one_claim_read_write_many_when_two_mount_it() -> None:
    claim = manifests()[("PersistentVolumeClaim", "demo-shared")]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    mount = _container(manifests()[("Deployment", "web")])["volumeMounts"][-1]
    assert mount == {
        "name": "shared-shared",
        "mountPath": "/srv",
        "subPath": "www",
        "readOnly": True,
    }


def test_secret_parameters_come_from_the_secret_and_dollars_are_escaped() -> None:
    objs = manifests()
    env = {e["name"]: e for e in _container(objs[("Deployment", "web")])["env"]}
    assert env["TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "demo-parameters", "key": "token"}
    assert env["MODE"]["value"] == "mode=fast"
    assert env["PRICE"]["value"] == "$$$$(x) $$9"
    args = _container(objs[("Job", "migrate")])["args"]
    assert args == ["migrate", "--token=$(SEALIFT_PARAM_token)", "--cost=$$5"]
    assert objs[("Secret", "demo-parameters")]["stringData"] == {"token": "s3cr$t"}
    assert objs[("Secret", "web-secret")]["stringData"] == {"file-1": "s3cr$t"}
    assert objs[("ConfigMap", "web-config")]["data"]["file-0"] == "mode=fast {{ not a template }}\n"


def test_probes_security_and_exposed_port() -> None:
    objs = manifests()
    db = _container(objs[("StatefulSet", "db")])
    assert db["readinessProbe"] == db["livenessProbe"]
    assert db["startupProbe"]["failureThreshold"] == 15 + 3
    assert db["securityContext"] == {
        "runAsUser": 999,
        "runAsGroup": 999,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "allowPrivilegeEscalation": False,
    }
    public = objs[("Service", "web-public")]["spec"]
    assert public["type"] == "NodePort" and public["ports"][0]["port"] == 9000
    assert public["ports"][0]["targetPort"] == 80


def test_job_is_a_helm_hook_in_dependency_order_and_plain_in_manifests() -> None:
    job = manifests()[("Job", "migrate")]
    assert "annotations" not in job["metadata"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    chart = render_helm(_input({}))
    text = chart.files["templates/migrate.yaml"].decode()
    assert "helm.sh/hook: post-install,post-upgrade" in text
    assert "helm.sh/hook-weight: '1'" in text
    assert any("no start order" in w for w in chart.warnings)
    assert "no start order" in chart.files["templates/NOTES.txt"].decode()


def test_helm_templates_use_values_and_keep_generated_secrets() -> None:
    chart = render_helm(_input({"mode": "slow"}))
    web = chart.files["templates/web.yaml"].decode()
    assert 'printf "%v" (int64 (index .Values "parameters" "port")) | int64' in web
    assert (
        '"mode=" (toString (index .Values "parameters" "mode")) " {{ not a template }}\\n"' in web
    )
    assert 'replicas: {{ (index .Values "components" "web" "replicas") | toJson }}' in web
    secrets = chart.files["templates/secrets.yaml"].decode()
    assert 'lookup "v1" "Secret" .Release.Namespace "demo-parameters"' in secrets
    assert "randAlphaNum 20" in secrets
    values = chart.files["values.yaml"].decode()
    assert "mode: slow" in values and "port: 8080" in values
    assert "values.yaml" in chart.private


def test_values_schema_types_and_required() -> None:
    schema = values_schema(parse_model_text(MODEL))["properties"]["parameters"]
    assert schema["properties"]["port"]["type"] == "integer"
    assert schema["required"] == ["mode"]
    assert schema["additionalProperties"] is False


def test_tokens_fill_scalars_blocks_lines_and_escape_braces() -> None:
    tokens = Tokens()
    text = (
        f"a: {tokens.scalar('{{ .X }}')}\n"
        f"b:\n  c: {tokens.block('toYaml .Y')}\n"
        f"  {tokens.line(['{{- with .Z }}', 'z: {{ . }}', '{{- end }}'])}: null\n"
        "d: '{{ literal }}'\n"
    )
    assert tokens.fill(text) == (
        "a: {{ .X }}\n"
        "b:\n  c: {{- toYaml .Y | nindent 4 }}\n"
        "  {{- with .Z }}\n  z: {{ . }}\n  {{- end }}\n"
        "d: '{{ \"{{\" }} literal }}'\n"
    )


def test_kubernetes_quantities() -> None:
    assert quantity(64 * 2**20) == "64Mi"
    assert quantity(5000) == "5k"
    assert quantity(500 * 10**6) == "500M"


def test_a_changed_file_changes_the_pod_and_shared_claims_recreate() -> None:
    def web(mode: str) -> dict[str, Any]:
        rendering = render_manifests(_input({"port": "1", "token": "t" * 8, "mode": mode}))
        return _objects(rendering.files["web.yaml"])[("Deployment", "web")]

    fast, slow = web("fast")["spec"], web("slow")["spec"]
    hashes = [
        s["template"]["metadata"]["annotations"]["sealift.io/config-hash"] for s in (fast, slow)
    ]
    assert len(hashes[0]) == 16 and hashes[0] != hashes[1]
    assert fast["strategy"] == {"type": "Recreate"}
    assert "strategy" not in manifests()[("StatefulSet", "db")]["spec"]


def test_a_component_kubernetes_cannot_name_is_refused() -> None:
    text = MODEL.replace("  worker:\n", "  9worker:\n")
    model = parse_model_text(text)
    images = {
        n: ImageRef(f"{c.image}@{DIGEST}", DIGEST, f"demo/{n}") for n, c in model.components.items()
    }
    with pytest.raises(ModelError, match="'9worker' must start with a letter"):
        render_helm(RenderInput(model, {}, images))
