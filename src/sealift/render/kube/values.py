"""The values of a rendering: what the chart's values.yaml holds (and the plain manifests
use as their one set), its commented text, and its JSON schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sealift.model.app import AppModel, Component, Parameter, coerce_value
from sealift.model.units import format_cpu, format_quantity
from sealift.render.base import RenderInput
from sealift.yamltext import dump_yaml

DEFAULT_SIZE = "1Gi"
EXPOSE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"]
ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod", "ReadOnlyMany"]


def quantity(nbytes: int) -> str:
    """Bytes as a Kubernetes quantity (`64Mi`, `500M`, `5k`)."""
    text = format_quantity(nbytes)
    return text[:-1] + "k" if text.endswith("K") else text


def chart_values(inp: RenderInput, every: bool) -> dict[str, Any]:
    """values.yaml as data. `every`: each parameter has its value (plain manifests);
    else a required parameter nobody gave is left out (the schema asks for it)."""
    model = inp.model
    return {
        "parameters": parameter_values(model, inp.values, every),
        "imageRegistry": inp.registry or "",
        "storageClass": "",
        "exposeType": "NodePort",
        "components": {name: _component(model, spec) for name, spec in model.components.items()},
        "volumes": {name: _shared(model, name) for name in model.volumes},
    }


def parameter_values(model: AppModel, given: Mapping[str, str], every: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parameter in model.parameters.items():
        if name in given:
            values[name] = coerce_value(parameter.type, given[name])
        elif parameter.default is not None:
            values[name] = parameter.default
        elif parameter.generate is not None or not parameter.required:
            values[name] = ""
        elif every:
            raise KeyError(name)
    return values


def _component(model: AppModel, spec: Component) -> dict[str, Any]:
    values: dict[str, Any] = {"resources": _resources(spec)}
    if not spec.is_job:
        values = {"replicas": spec.replicas, **values}
    private = {
        v.name: {"size": quantity(v.size) if v.size else DEFAULT_SIZE}
        for v in spec.volumes
        if v.name not in model.volumes
    }
    return {**values, "volumes": private} if private else values


def private_volumes(model: AppModel, spec: Component) -> list[str]:
    return [v.name for v in spec.volumes if v.name not in model.volumes]


def _resources(spec: Component) -> dict[str, Any]:
    limits: dict[str, str] = {}
    if spec.resources and spec.resources.cpu:
        limits["cpu"] = format_cpu(spec.resources.cpu)
    if spec.resources and spec.resources.memory:
        limits["memory"] = quantity(spec.resources.memory)
    return {"limits": limits} if limits else {}


def _shared(model: AppModel, name: str) -> dict[str, Any]:
    declared = model.volumes[name]
    users = [spec for spec in model.components.values() if name in {v.name for v in spec.volumes}]
    many = len(users) > 1 or any(spec.replicas > 1 for spec in users)
    return {
        "size": quantity(declared.size) if declared.size else DEFAULT_SIZE,
        "accessMode": "ReadWriteMany" if many else "ReadWriteOnce",
    }


# -- values.yaml -------------------------------------------------------------------------

_HEAD = """\
# Values of {app} {version} (rendered by sealift from its app model).
# Change them with --set or -f at `helm install`/`helm upgrade`; values.schema.json checks them.

# The app's parameters.
"""
_GLOBALS = """
# Where the images are pulled from: HOST[/PREFIX] (images are <this>/<app>/<component>@digest,
# as `sealift push --to HOST[/PREFIX]` names them); empty: the registry they were published to.
imageRegistry: {registry}
# StorageClass of every PersistentVolumeClaim; empty: the cluster's default.
storageClass: ""
# Service type of the ports the app exposes: ClusterIP, NodePort or LoadBalancer.
exposeType: NodePort

# Per component: replicas, resources (limits and requests), sizes of private volumes.
"""


def values_text(model: AppModel, values: dict[str, Any]) -> str:
    head = _HEAD.format(app=model.name, version=model.version)
    body = "parameters:" + ("\n" if model.parameters else " {}\n")
    for name, parameter in model.parameters.items():
        body += _parameter_lines(name, parameter, values["parameters"])
    globals_ = _GLOBALS.format(registry=json.dumps(values["imageRegistry"]))
    rest = dump_yaml({"components": values["components"]})
    if values["volumes"]:
        rest += "\n# Volumes shared by several components.\n" + dump_yaml(
            {"volumes": values["volumes"]}
        )
    return head + body + globals_ + rest


def _parameter_lines(name: str, parameter: Parameter, values: Mapping[str, Any]) -> str:
    notes = [parameter.description or name, f"({parameter.type}"]
    if parameter.generate is not None:
        notes[-1] += f"; generated ({parameter.generate} characters) and kept when empty"
    elif parameter.secret:
        notes[-1] += "; secret"
    if name not in values:
        notes[-1] += "; required"
    notes[-1] += ")"
    comment = "  # " + " ".join(notes) + "\n"
    if name not in values:
        return comment + f"  # {name}:\n"
    return comment + "".join(
        "  " + line + "\n" for line in dump_yaml({name: values[name]}).splitlines()
    )


# -- values.schema.json ----------------------------------------------------------------


def values_schema(model: AppModel) -> dict[str, Any]:
    """Refuses a wrong type, an unknown parameter or a missing required one."""
    return {
        "$schema": "https://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["parameters"],
        "properties": {
            "parameters": _parameters_schema(model),
            "imageRegistry": {"type": "string"},
            "storageClass": {"type": "string"},
            "exposeType": {"type": "string", "enum": EXPOSE_TYPES},
            "components": {
                "type": "object",
                "properties": {n: _component_schema(s) for n, s in model.components.items()},
            },
            "volumes": {
                "type": "object",
                "properties": {name: _volume_schema(True) for name in model.volumes},
            },
        },
    }


def _parameters_schema(model: AppModel) -> dict[str, Any]:
    properties = {
        name: {"type": p.type, **({"description": p.description} if p.description else {})}
        for name, p in model.parameters.items()
    }
    required = [name for name, p in model.parameters.items() if p.required]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    return {**schema, "required": required} if required else schema


def _component_schema(spec: Component) -> dict[str, Any]:
    properties: dict[str, Any] = {"resources": {"type": "object"}}
    if not spec.is_job:
        properties["replicas"] = {"type": "integer", "minimum": 0}
    if spec.volumes:
        properties["volumes"] = {
            "type": "object",
            "additionalProperties": _volume_schema(False),
        }
    return {"type": "object", "properties": properties}


def _volume_schema(shared: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "size": {"type": "string", "pattern": r"^\d+(\.\d+)?([KMGTPE]i?|k)?$"}
    }
    if shared:
        properties["accessMode"] = {"type": "string", "enum": ACCESS_MODES}
    return {"type": "object", "properties": properties}
