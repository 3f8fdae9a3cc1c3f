"""The manifests of every file, sorted by kind, with ConfigMap and Secret data decoded."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from sealift.convert.documents import expect_map, load_documents, scalar_text
from sealift.convert.inputs import ConvertInput
from sealift.errors import ConvertError

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod")
_IGNORED_KINDS = ("Namespace",)


@dataclass
class Manifest:
    kind: str
    name: str
    body: dict[str, Any]
    where: str

    @property
    def labels(self) -> dict[str, str]:
        metadata = expect_map(self.body.get("metadata"), f"{self.where}.metadata")
        labels = expect_map(metadata.get("labels"), f"{self.where}.metadata.labels")
        return {k: scalar_text(v) for k, v in labels.items()}

    def spec(self) -> dict[str, Any]:
        return expect_map(self.body.get("spec"), f"{self.where}.spec")


@dataclass
class Objects:
    workloads: list[Manifest] = field(default_factory=list)
    services: list[Manifest] = field(default_factory=list)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    claims: dict[str, Manifest] = field(default_factory=dict)
    others: list[Manifest] = field(default_factory=list)
    all: list[Manifest] = field(default_factory=list)


def collect_objects(inp: ConvertInput) -> tuple[Objects, list[str]]:
    objects, warnings = Objects(), []
    for source in inp.sources:
        for index, document in enumerate(_flatten(load_documents(source))):
            manifest = _manifest(document, f"{source.name}: document {index + 1}")
            objects.all.append(manifest)
            warning = _file(objects, manifest)
            if warning:
                warnings.append(warning)
    return objects, warnings


def _flatten(documents: list[Any]) -> list[Any]:
    result = []
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "List":
            result += _flatten(document.get("items") or [])
        else:
            result.append(document)
    return result


def _manifest(document: Any, where: str) -> Manifest:
    body = expect_map(document, where)
    if "kind" not in body:
        raise ConvertError(f"{where}: has no `kind`; is this a Kubernetes manifest?")
    name = scalar_text(expect_map(body.get("metadata"), f"{where}.metadata").get("name", ""))
    if not name:
        raise ConvertError(f"{where}: {body['kind']} has no metadata.name; fix the manifest")
    return Manifest(scalar_text(body["kind"]), name, body, f"{where} ({body['kind']} {name})")


def _file(objects: Objects, manifest: Manifest) -> str | None:
    kind = manifest.kind
    if kind in WORKLOAD_KINDS:
        objects.workloads.append(manifest)
    elif kind == "Service":
        objects.services.append(manifest)
    elif kind == "ConfigMap":
        objects.config_maps[manifest.name] = _config_map_data(manifest)
    elif kind == "Secret":
        objects.secrets[manifest.name] = _secret_data(manifest)
    elif kind == "PersistentVolumeClaim":
        objects.claims[manifest.name] = manifest
    elif kind not in _IGNORED_KINDS:
        objects.others.append(manifest)
        return f"{kind} {manifest.name}: this kind is not converted"
    return None


def _config_map_data(manifest: Manifest) -> dict[str, str]:
    data = expect_map(manifest.body.get("data"), f"{manifest.where}.data")
    return {key: scalar_text(value) for key, value in data.items()}


def _secret_data(manifest: Manifest) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in expect_map(manifest.body.get("data"), manifest.where).items():
        try:
            values[key] = base64.b64decode(scalar_text(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ConvertError(
                f"{manifest.where}: data.{key} is not base64 of UTF-8 text; fix the Secret"
            ) from None
    for key, value in expect_map(manifest.body.get("stringData"), manifest.where).items():
        values[key] = scalar_text(value)
    return values
