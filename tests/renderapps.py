"""App versions for the rendering tests: real-world-shaped models (the example app, and
compose projects / Kubernetes manifests converted by sealift) published into a store with
tiny synthetic amd64+arm64 images, and the real helm, kubectl and kubernetes-validate.

The tools are installed by scripts/setup.sh (helm and kubectl under .tools/); a missing one
fails the test loudly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sealift.cli.convert_cmd import convert_files
from sealift.market.catalog import AppVersion, Market
from sealift.market.publish import write_app_index
from sealift.model.app import AppModel
from sealift.model.load import parse_model_data, parse_model_text
from sealift.model.normal import to_json, with_images
from tests.integration.test_bundle_support import multi_image

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TOOLS = ROOT / ".tools" / "layer"
HELM = TOOLS / "helm" / "helm"
KUBECTL = TOOLS / "kubectl" / "kubectl"
KUBE_VALIDATE = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "kubernetes-validate"
KUBE_VERSIONS = ("1.27", "1.35")


def tool(path: Path) -> str:
    if not path.is_file() or not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing: run scripts/setup.sh (it installs helm/kubectl)")
    return str(path)


def converted(*files: str, name: str) -> AppModel:
    result = convert_files([FIXTURES / f for f in files], name=name)
    return parse_model_data(result.model, name)


def app_models() -> dict[str, AppModel]:
    """Every app the renderings are checked with."""
    shop = ROOT / "examples" / "shop"
    return {
        "shop-1.0.0": parse_model_text((shop / "1.0.0" / "sealift.yaml").read_text()),
        "shop-1.1.0": parse_model_text((shop / "1.1.0" / "sealift.yaml").read_text()),
        "nextcloud": converted("compose/nextcloud/compose.yaml", name="nextcloud"),
        "sentry": converted("compose/sentry/docker-compose.yml", name="sentry"),
        "webapp": converted(
            "compose/webapp/compose.yaml", "compose/webapp/compose.override.yaml", name="webapp"
        ),
        "votingapp": converted("compose/votingapp/compose.yaml", name="votingapp"),
        "boutique": converted("k8s/boutique/boutique.yaml", name="boutique"),
        "k8s-shop": converted(
            "k8s/shop/config.yaml", "k8s/shop/apps.yaml", "k8s/shop/services.yaml", name="kshop"
        ),
    }


def publish_model(market: Market, model: AppModel) -> AppVersion:
    """Publish `model` with one tiny amd64+arm64 image per component."""
    layout = market.layout
    images = {
        name: multi_image(
            layout,
            {arch: [f"{model.name}/{name}/{arch}".encode()] for arch in ("amd64", "arm64")},
        )
        for name in model.components
    }
    pinned = with_images(
        model,
        {n: f"{c.image.split('@')[0]}@{images[n].digest}" for n, c in model.components.items()},
    )
    return market.register(write_app_index(layout, to_json(pinned), images))


def helm_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(tmp / "helm-cache"),
        "HELM_CONFIG_HOME": str(tmp / "helm-config"),
        "HELM_DATA_HOME": str(tmp / "helm-data"),
    }


def run(args: list[str], tmp: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, env=helm_env(tmp), timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def kube_validate(files: list[Path], tmp: Path) -> None:
    """Every object of `files` is valid for each Kubernetes version (strict: no unknown
    field). One call per version for every file."""
    for version in KUBE_VERSIONS:
        done = run([tool(KUBE_VALIDATE), "--strict", "-k", version, *map(str, files)], tmp, False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "passed" in done.stdout
