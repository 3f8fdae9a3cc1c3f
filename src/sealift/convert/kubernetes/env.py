"""Container `env` and `envFrom`: ConfigMap values become literals, Secret values parameters."""

from __future__ import annotations

from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.naming import escape_template


def container_env(container: dict[str, Any], ctx: KubeContext, where: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for i, source in enumerate(expect_list(container.get("envFrom"), f"{where}.envFrom")):
        env.update(_from_source(expect_map(source, f"{where}.envFrom[{i}]"), ctx, where))
    for i, item in enumerate(expect_list(container.get("env"), f"{where}.env")):
        spot = f"{where}.env[{i}]"
        entry = expect_map(item, spot)
        value = _value(entry, ctx, spot)
        if value is not None:
            env[scalar_text(entry.get("name"))] = value
    return env


def _value(entry: dict[str, Any], ctx: KubeContext, where: str) -> str | None:
    if "valueFrom" not in entry:
        return escape_template(scalar_text(entry.get("value", "")))
    source = expect_map(entry["valueFrom"], f"{where}.valueFrom")
    if "configMapKeyRef" in source:
        ref = expect_map(source["configMapKeyRef"], where)
        value = ctx.objects.config_maps.get(scalar_text(ref.get("name")), {}).get(
            scalar_text(ref.get("key"))
        )
        if value is not None:
            return escape_template(value)
    elif "secretKeyRef" in source:
        ref = expect_map(source["secretKeyRef"], where)
        value = ctx.secret_parameter(scalar_text(ref.get("name")), scalar_text(ref.get("key")))
        if value is not None:
            return value
    else:
        ctx.warn(
            f"{where}: {entry.get('name')} comes from {', '.join(source)}, which has no "
            "equivalent; left out"
        )
        return None
    ctx.warn(
        f"{where}: {entry.get('name')} refers to a ConfigMap or Secret key that is not "
        "in the manifests; left out"
    )
    return None


def _from_source(source: dict[str, Any], ctx: KubeContext, where: str) -> dict[str, str]:
    prefix = scalar_text(source.get("prefix", ""))
    if "configMapRef" in source:
        name = scalar_text(expect_map(source["configMapRef"], where).get("name"))
        data = ctx.objects.config_maps.get(name)
        if data is not None:
            return {prefix + k: escape_template(v) for k, v in data.items()}
    elif "secretRef" in source:
        name = scalar_text(expect_map(source["secretRef"], where).get("name"))
        if name in ctx.objects.secrets:
            return {
                prefix + key: ctx.secret_parameter(name, key) or ""
                for key in ctx.objects.secrets[name]
            }
    else:
        name = ""
    ctx.warn(f"{where}.envFrom: {name or 'a source'} is not in the manifests; left out")
    return {}
