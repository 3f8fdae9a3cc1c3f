"""The Helm chart of an app version: Chart.yaml, values.yaml with every parameter,
values.schema.json, templates of every object, NOTES.txt and a README."""

from __future__ import annotations

import json
from typing import Any

from sealift.model.app import AppModel
from sealift.render.base import Rendering, RenderInput
from sealift.render.kube.context import Build, check_names
from sealift.render.kube.expr import SECRET_VALUES, HelmExprs, go_string, values_path
from sealift.render.kube.notes import bullet_list, documents, order_warnings
from sealift.render.kube.objects import component_objects, secret_objects, shared_claims
from sealift.render.kube.values import chart_values, values_schema, values_text
from sealift.yamltext import dump_yaml


def render_helm(inp: RenderInput) -> Rendering:
    model = inp.model
    check_names(model)
    b = Build(inp, HelmExprs({n: p.type for n, p in model.parameters.items()}))
    files = {
        f"templates/{name}.yaml": documents(b, component_objects(b, name, spec))
        for name, spec in model.components.items()
    }
    secrets = secret_objects(b)
    if secrets:
        files["templates/secrets.yaml"] = _secret_values(b) + documents(b, secrets)
    claims = shared_claims(b)
    if claims:
        files["templates/volumes.yaml"] = documents(b, claims)
    order_warnings(b)
    values = chart_values(inp, every=False)
    files.update(
        {
            "Chart.yaml": dump_yaml(_chart(model)),
            "values.yaml": values_text(model, values),
            "values.schema.json": json.dumps(values_schema(model), indent=2) + "\n",
            "templates/NOTES.txt": _notes(model, b.warnings),
            "README.md": _readme(inp, b.warnings),
        }
    )
    private = frozenset({"values.yaml"} if inp.values else ())
    return Rendering({k: v.encode() for k, v in files.items()}, list(b.warnings), private)


def _chart(model: AppModel) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": model.name,
        "description": model.description or f"{model.name}, rendered by sealift",
        "type": "application",
        "version": model.version,
        "appVersion": model.version,
    }
    return {**chart, "annotations": {"sealift.io/app": f"{model.name}:{model.version}"}}


def _secret_values(b: Build) -> str:
    """Every secret parameter's value in `$p`: the given one, else the one the existing
    Secret holds (kept across upgrades), else a newly generated one."""
    existing = f'(lookup "v1" "Secret" .Release.Namespace {go_string(b.parameters_secret)})'
    lines = [
        "{{- $old := dict }}",
        f"{{{{- with {existing} }}}}{{{{- $old = (.data | default dict) }}}}{{{{- end }}}}",
        f"{{{{- {SECRET_VALUES} := dict }}}}",
    ]
    for name in sorted(b.secrets):
        lines.append(
            f"{{{{- $_ := set {SECRET_VALUES} {go_string(name)} {_secret_value(b, name)} }}}}"
        )
    return "\n".join(lines) + "\n"


def _secret_value(b: Build, name: str) -> str:
    parameter = b.inp.model.parameters[name]
    given = f"(toString {values_path(('parameters', name))})"
    if parameter.type == "integer":
        given = f"(toString (int64 {values_path(('parameters', name))}))"
    if parameter.generate is None:
        return given
    kept = f'(b64dec (toString (index $old {go_string(name)} | default "")))'
    return f"({given} | default {kept} | default (randAlphaNum {parameter.generate}))"


def _notes(model: AppModel, warnings: list[str]) -> str:
    text = (
        f"{model.name} {model.version} is installed as release {{{{ .Release.Name }}}} in "
        "namespace {{ .Release.Namespace }}.\n\n"
        "What Kubernetes runs differently from sealift:\n"
    )
    return text + bullet_list([w.replace("{{", "{ {") for w in warnings])


_README = """\
# {name} {version} — Helm chart rendered by sealift

{description}

## Install

1. Put the images into the cluster's registry:
   `sealift push {name}:{version} --to REGISTRY[/PREFIX]` (or serve them with
   `sealift registry serve`).
2. `helm install RELEASE . --set imageRegistry=REGISTRY[/PREFIX]{required}`

`values.yaml` lists every parameter with its description; `values.schema.json` makes
`helm install` refuse a wrong type or a missing required value. Images are pulled by
digest; each pod keeps the reference the vendor published in the annotation
`sealift.io/original-image`. Generated secrets are made once, kept in the Secret
`{name}-parameters` across `helm upgrade` (and after `helm uninstall`, with the data).
One release per namespace: Services are named after the components, as the app expects.

## What Kubernetes runs differently from sealift

{warnings}"""


def _readme(inp: RenderInput, warnings: list[str]) -> str:
    model = inp.model
    required = "".join(
        f" --set parameters.{n}=..."
        for n, p in model.parameters.items()
        if p.required and n not in inp.values
    )
    return _README.format(
        name=model.name,
        version=model.version,
        description=model.description or "",
        required=required,
        warnings=bullet_list(warnings),
    )


__all__ = ["render_helm"]
