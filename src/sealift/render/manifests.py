"""Plain Kubernetes manifests for one set of values, with a kustomization whose `images:`
point the images at the site's registry."""

from __future__ import annotations

from typing import Any

from sealift.render.base import Rendering, RenderInput
from sealift.render.kube.context import Build, check_names
from sealift.render.kube.expr import PlainExprs
from sealift.render.kube.notes import bullet_list, documents, order_warnings
from sealift.render.kube.objects import component_objects, secret_objects, shared_claims
from sealift.render.kube.values import chart_values
from sealift.yamltext import dump_yaml

SECRETS = "secrets.yaml"


def render_manifests(inp: RenderInput) -> Rendering:
    """`inp.values` must hold every parameter's value."""
    check_names(inp.model)
    values = chart_values(inp, every=True)
    b = Build(inp, PlainExprs(values, inp.values, inp.model.name))
    files = {
        f"{name}.yaml": documents(b, component_objects(b, name, spec))
        for name, spec in inp.model.components.items()
    }
    secrets = secret_objects(b)
    if secrets:
        files[SECRETS] = documents(b, secrets)
    claims = shared_claims(b)
    if claims:
        files["volumes.yaml"] = documents(b, claims)
    order_warnings(b)
    files["kustomization.yaml"] = dump_yaml(_kustomization(inp, sorted(files)))
    files["README.md"] = _readme(inp, b.warnings)
    private = frozenset({SECRETS} if secrets else ())
    return Rendering({k: v.encode() for k, v in files.items()}, list(b.warnings), private)


def _kustomization(inp: RenderInput, resources: list[str]) -> dict[str, Any]:
    images = [
        {"name": ref.original_repository, "newName": ref.repository, "digest": ref.digest}
        for ref in inp.images.values()
    ]
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        "images": images,
    }


_README = """\
# {name} {version} — Kubernetes manifests rendered by sealift

{description}

One file per component, `secrets.yaml` (parameter values and secret files: keep it private),
`volumes.yaml` (shared volumes) and `kustomization.yaml`, whose `images:` point every image
(by digest) at {registry}. Put the images there with `sealift push {name}:{version} --to
REGISTRY[/PREFIX]`, change `newName` if needed, then:

    kubectl apply -k .

The parameter values are the ones given at `sealift render` (render again to change them).
One installation per namespace: Services are named after the components, as the app expects.

## What Kubernetes runs differently from sealift

{warnings}"""


def _readme(inp: RenderInput, warnings: list[str]) -> str:
    model = inp.model
    return _README.format(
        name=model.name,
        version=model.version,
        description=model.description or "",
        registry=inp.registry or "the registry they were published to",
        warnings=bullet_list(warnings),
    )


__all__ = ["render_manifests"]
