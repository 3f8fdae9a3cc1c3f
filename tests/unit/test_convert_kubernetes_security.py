"""Kubernetes securityContext, probe headers, grpc probes, Jobs and the app's name."""

from __future__ import annotations

import pytest

from sealift.convert import ConversionResult, ConvertInput, SourceFile, convert_kubernetes
from sealift.convert.units import file_mode
from sealift.errors import ConvertError
from sealift.model.load import parse_model_data

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app.kubernetes.io/name: api, app.kubernetes.io/part-of: billing}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext:
        runAsUser: 1000
        runAsGroup: 3000
        fsGroup: 2000
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: api
          image: example/api:1.0
          ports: [{containerPort: 8080, name: http}, {containerPort: 9090, name: grpc}]
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            runAsUser: 1001
            capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
            privileged: false
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
              httpHeaders: [{name: Host, value: api.example.org}, {name: X-Probe, value: "1"}]
            periodSeconds: 5
          volumeMounts: [{name: conf, mountPath: /etc/api}]
      volumes:
        - name: conf
          configMap: {name: api-conf, defaultMode: 0440}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-conf}
data: {api.toml: "port = 8080\\n"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: search
  labels: {app.kubernetes.io/name: search}
spec:
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      containers:
        - name: search
          image: example/search:1.0
          ports: [{containerPort: 50051}]
          livenessProbe:
            grpc: {port: 50051}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  labels: {app.kubernetes.io/name: migrate, app.kubernetes.io/part-of: billing}
spec:
  backoffLimit: 4
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: migrate
          image: example/api:1.0
          args: [migrate, --yes]
"""


def convert(text: str, path: str = "/src/billing/k8s/all.yaml") -> ConversionResult:
    directory = path.rsplit("/", 2)[-2]
    inp = ConvertInput((SourceFile(path, text),), directory_name=directory)
    result = convert_kubernetes(inp)
    parse_model_data(result.model, "converted")
    return result


@pytest.fixture(scope="module")
def billing() -> ConversionResult:
    return convert(MANIFESTS)


def test_security_context_of_pod_and_container(billing: ConversionResult) -> None:
    api = billing.model["components"]["api"]
    assert api["user"] == "1001:3000"  # the container's runAsUser over the pod's
    assert api["security"] == {
        "read_only_root": True,
        "cap_drop": ["ALL"],
        "cap_add": ["NET_BIND_SERVICE"],
        "no_new_privileges": True,
        "run_as_non_root": True,
    }
    lost = "not mapped: securityContext.privileged, securityContext.seccompProfile"
    assert any(lost in w for w in billing.warnings)


def test_fs_group_gives_config_files_the_group(billing: ConversionResult) -> None:
    config = billing.model["components"]["api"]["configs"][0]
    assert config == {
        "path": "/etc/api/api.toml",
        "content": "port = 8080\n",
        "mode": "0440",
        "gid": 2000,
    }


def test_http_probe_headers_are_kept(billing: ConversionResult) -> None:
    health = billing.model["components"]["api"]["health"]
    assert health == {
        "http": {
            "path": "/healthz",
            "port": 8080,
            "headers": {"Host": "api.example.org", "X-Probe": "1"},
        },
        "interval": "5s",
    }


def test_grpc_probe_becomes_tcp_with_a_warning(billing: ConversionResult) -> None:
    assert billing.model["components"]["search"]["health"] == {"tcp": {"port": 50051}}
    assert any("livenessProbe" in w and "grpc probe" in w for w in billing.warnings)


def test_job_becomes_a_job_component(billing: ConversionResult) -> None:
    migrate = billing.model["components"]["migrate"]
    assert migrate["kind"] == "job"
    assert migrate["restart"] == "on-failure"
    assert migrate["command"] == ["migrate", "--yes"]
    assert "replicas" not in migrate
    assert any("Job migrate: not mapped: spec.backoffLimit" in w for w in billing.warnings)


def test_name_from_part_of_label_over_a_generic_directory(billing: ConversionResult) -> None:
    assert billing.model["name"] == "billing"


def test_generic_directory_without_part_of_uses_the_parent_or_name_label() -> None:
    text = MANIFESTS.replace(", app.kubernetes.io/part-of: billing", "")
    assert convert(text, "/work/shop/release/all.yaml").model["name"] == "api"
    bare = text.replace("app.kubernetes.io/name", "team")
    assert convert(bare, "/work/shop/release/all.yaml").model["name"] == "shop"
    assert convert(bare, "/work/shop/manifests-v2/all.yaml").model["name"] == "manifests-v2"


def test_file_modes() -> None:
    assert file_mode(420, "m") == "0644"  # Kubernetes' decimal spelling
    assert file_mode("0440", "m") == "0440"
    assert file_mode("0o600", "m") == "0600"
    with pytest.raises(ConvertError, match="not a file mode"):
        file_mode("0999", "m")


def test_claim_mounted_by_two_workloads_is_an_app_volume_with_its_size() -> None:
    deployment = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME}
spec:
  selector: {matchLabels: {app: NAME}}
  template:
    metadata: {labels: {app: NAME}}
    spec:
      containers:
        - {name: c, image: example/NAME:1, volumeMounts: [{name: media, mountPath: /media}]}
      volumes:
        - {name: media, persistentVolumeClaim: {claimName: media}}
"""
    claim = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: media}
spec: {accessModes: [ReadWriteMany], resources: {requests: {storage: 20Gi}}}
"""
    text = "---".join([deployment.replace("NAME", "web"), deployment.replace("NAME", "thumbs")])
    result = convert(text + "---" + claim)
    assert result.model["volumes"] == {"media": {"size": "20Gi"}}
    for name in ("web", "thumbs"):
        assert result.model["components"][name]["volumes"] == [{"name": "media", "path": "/media"}]


def test_init_containers_become_jobs_the_workload_waits_for() -> None:
    text = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      initContainers:
        - name: chown
          image: busybox:1.36
          command: [chown, -R, "999:999", /data]
          volumeMounts: [{name: data, mountPath: /data}]
        - name: proxy
          image: example/proxy:1
          restartPolicy: Always
      containers:
        - name: db
          image: postgres:16
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {resources: {requests: {storage: 5Gi}}}
"""
    result = convert(text)
    components = result.model["components"]
    assert set(components) == {"db", "db-chown"}
    chown = components["db-chown"]
    assert chown["kind"] == "job"
    assert chown["restart"] == "on-failure"
    assert chown["entrypoint"] == ["chown", "-R", "999:999", "/data"]
    assert "replicas" not in chown
    assert components["db"]["depends_on"] == [{"component": "db-chown", "condition": "completed"}]
    assert result.model["volumes"] == {"data": {"size": "5Gi"}}
    assert chown["volumes"] == [{"name": "data", "path": "/data"}]
    assert any("(chown): becomes job 'db-chown'" in w for w in result.warnings)
    assert any("(proxy): a sidecar container; not converted" in w for w in result.warnings)
