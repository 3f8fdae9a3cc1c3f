"""`sealift render --as helm|manifests`, judged by the real tools: every chart passes
`helm lint` and `helm template`, and everything helm renders passes `kubernetes-validate
--strict` for Kubernetes 1.27 and 1.35; the manifests pass `kubectl kustomize` and the same
validation. Apps: the example app and converted real-world-shaped ones (tests/renderapps.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sealift.deploy.operations import generate_secret
from sealift.market.catalog import AppVersion, Market
from sealift.market.rendering import render_input, render_version, write_rendering
from sealift.model.app import AppModel
from sealift.yamltext import load_all
from tests.conftest import run_sealift
from tests.renderapps import HELM, KUBECTL, app_models, kube_validate, publish_model, run, tool

REGISTRY = "harbor.example.com:5443/site"


def dummy_values(model: AppModel) -> dict[str, str]:
    """A value for every required parameter."""
    values = {"integer": "1", "boolean": "true", "string": "given-value"}
    return {n: values[p.type] for n, p in model.parameters.items() if p.required}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, AppVersion]]:
    home = tmp_path_factory.mktemp("render-home")
    market = Market(home / "store")
    return home, {key: publish_model(market, model) for key, model in app_models().items()}


def render(home: Path, app: AppVersion, kind: str, out: Path, **options: str) -> Path:
    given = dummy_values(app.model) if kind != "helm" else {}
    inp = render_input(
        Market(home / "store"), app.ref, kind, given, generate=generate_secret, **options
    )
    write_rendering(render_version(inp, kind), out)
    return out


def helm_sets(model: AppModel) -> list[str]:
    return [
        f"--set-string=parameters.{n}={v}"
        if model.parameters[n].type == "string"
        else f"--set=parameters.{n}={v}"
        for n, v in dummy_values(model).items()
    ]


def test_every_chart_passes_helm_lint_template_and_validation(published, tmp_path: Path) -> None:
    home, apps = published
    outputs = []
    for key, app in apps.items():
        chart = render(home, app, "helm", tmp_path / f"{key}-chart")
        sets = helm_sets(app.model)
        lint = run([tool(HELM), "lint", "--strict", str(chart), *sets], tmp_path)
        assert "0 chart(s) failed" in lint.stdout
        # the templates never read .Capabilities: one rendering, validated for both versions
        done = run(
            [tool(HELM), "template", key, str(chart), "--kube-version", "1.27.0", *sets], tmp_path
        )
        kinds = {d.data["kind"] for d in load_all(done.stdout) if d.data}
        assert "Service" in kinds and kinds & {"Deployment", "StatefulSet"}, key
        outputs.append(tmp_path / f"{key}.yaml")
        outputs[-1].write_text(done.stdout)
    kube_validate(outputs, tmp_path)


def test_every_manifest_set_passes_kustomize_and_validation(published, tmp_path: Path) -> None:
    home, apps = published
    outputs = []
    for key, app in apps.items():
        out = render(home, app, "manifests", tmp_path / key, registry=REGISTRY)
        done = run([tool(KUBECTL), "kustomize", str(out)], tmp_path)
        lines = [line.strip() for line in done.stdout.splitlines()]
        images = [line[len("image: ") :] for line in lines if line.startswith("image: ")]
        assert images and all(
            i.startswith(f"{REGISTRY}/{app.name}/") and "@sha256:" in i for i in images
        )
        outputs.append(tmp_path / f"{key}.yaml")
        outputs[-1].write_text(done.stdout)
    kube_validate(outputs, tmp_path)


def test_values_schema_refuses_a_wrong_type_and_a_missing_value(published, tmp_path: Path) -> None:
    home, apps = published
    chart = str(render(home, apps["shop-1.1.0"], "helm", tmp_path / "shop"))
    wrong = run(
        [tool(HELM), "template", "x", chart, "--set", "parameters.public_port=abc"], tmp_path, False
    )
    assert wrong.returncode != 0
    assert "public_port" in wrong.stderr and "integer" in wrong.stderr
    typo = run(
        [tool(HELM), "template", "x", chart, "--set", "parameters.public_prot=1"], tmp_path, False
    )
    assert typo.returncode != 0 and "public_prot" in typo.stderr
    needy = next(a for a in apps.values() if dummy_values(a.model))
    chart = str(render(home, needy, "helm", tmp_path / "needy"))
    missing = run([tool(HELM), "template", "x", chart], tmp_path, False)
    assert missing.returncode != 0 and "missing property" in missing.stderr


def test_chart_relocates_images_and_keeps_the_original(published, tmp_path: Path) -> None:
    home, apps = published
    app = apps["shop-1.1.0"]
    chart = str(render(home, app, "helm", tmp_path / "shop", registry=REGISTRY))
    sets = ["parameters.public_port=9090", "exposeType=LoadBalancer", "storageClass=fast"]
    done = run([tool(HELM), "template", "x", chart, *(f"--set={s}" for s in sets)], tmp_path)
    docs = [d.data for d in load_all(done.stdout) if d.data]
    web = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "web")
    pod = web["spec"]["template"]
    digest = app.component("web").descriptor.digest
    assert pod["spec"]["containers"][0]["image"] == f"{REGISTRY}/shop/web@{digest}"
    assert pod["metadata"]["annotations"]["sealift.io/original-image"] == app.component("web").image
    public = next(d for d in docs if d["metadata"]["name"] == "web-public")
    assert public["spec"]["ports"][0]["port"] == 9090
    assert public["spec"]["type"] == "LoadBalancer"
    store = next(d for d in docs if d["kind"] == "StatefulSet")
    assert store["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "fast"
    secret = next(d for d in docs if d["metadata"]["name"] == "shop-parameters")
    assert len(secret["stringData"]["admin_password"]) == 16
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    api = next(d for d in docs if d["metadata"]["name"] == "api" and d["kind"] == "Deployment")
    env = {e["name"]: e for e in api["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "shop-parameters",
        "key": "admin_password",
    }


def test_cli_renders_and_refuses_before_writing(published, tmp_path: Path) -> None:
    home, apps = published
    out = tmp_path / "m"
    done = run_sealift(
        home,
        "render",
        "shop:1.1.0",
        "--as",
        "manifests",
        "-o",
        str(out),
        "--set",
        "public_port=8088",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Kubernetes has no start order" in done.stderr
    assert stat.S_IMODE((out / "secrets.yaml").stat().st_mode) == 0o600
    assert "port: 8088" in (out / "web.yaml").read_text()
    for args, said in [
        (["--set", "public_port=abc"], "not an integer"),
        (["--platform", "linux/s390x"], "s390x"),
        (["--registry", "https://x"], "HOST[:PORT][/PREFIX]"),
    ]:
        bad = run_sealift(
            home,
            "render",
            "shop:1.1.0",
            "--as",
            "helm",
            "-o",
            str(tmp_path / "bad"),
            *args,
            check=False,
        )
        assert bad.returncode != 0 and said in bad.stderr, bad.stderr
        assert not (tmp_path / "bad").exists()
    needy = next(a for a in apps.values() if dummy_values(a.model))
    bad = run_sealift(
        home, "render", needy.ref, "--as", "manifests", "-o", str(tmp_path / "bad"), check=False
    )
    assert bad.returncode != 0 and "is required" in bad.stderr
    assert not (tmp_path / "bad").exists()
    again = run_sealift(home, "render", "shop:1.1.0", "--as", "helm", "-o", str(out), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
