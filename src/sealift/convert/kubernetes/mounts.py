"""Pod volumes and volume mounts -> persistent volumes (PVCs, claim templates) and configs
(ConfigMap and Secret files). emptyDir, hostPath and the rest cannot be carried."""

from __future__ import annotations

import posixpath
from typing import Any

from sealift.convert.documents import expect_list, expect_map, scalar_text
from sealift.convert.kubernetes.context import KubeContext
from sealift.convert.naming import dns_name, escape_template
from sealift.convert.units import file_mode, quantity_from_kubernetes

Entry = dict[str, Any]


def container_mounts(
    container: Entry, pod: Entry, claim_templates: dict[str, Entry], ctx: KubeContext, where: str
) -> tuple[list[Entry], list[Entry]]:
    """(volumes, configs) for the container's volumeMounts."""
    pod_volumes = {
        scalar_text(v.get("name")): v
        for v in expect_list(pod.get("volumes"), f"{where}.volumes")
        if isinstance(v, dict)
    }
    volumes: list[Entry] = []
    configs: list[Entry] = []
    for i, raw in enumerate(expect_list(container.get("volumeMounts"), f"{where}.volumeMounts")):
        spot = f"{where}.volumeMounts[{i}]"
        mount = expect_map(raw, spot)
        name = scalar_text(mount.get("name"))
        if name in claim_templates:
            volumes.append(_template_volume(name, claim_templates[name], mount, spot))
        elif name in pod_volumes:
            _add_pod_volume(pod_volumes[name], mount, volumes, configs, ctx, spot)
        else:
            ctx.warn(f"{spot}: no volume named {name!r} in the pod; left out")
    return volumes, configs


def _add_pod_volume(
    volume: Entry,
    mount: Entry,
    volumes: list[Entry],
    configs: list[Entry],
    ctx: KubeContext,
    where: str,
) -> None:
    path = scalar_text(mount.get("mountPath"))
    if "persistentVolumeClaim" in volume:
        claim = scalar_text(expect_map(volume["persistentVolumeClaim"], where).get("claimName"))
        volumes.append(_claim_volume(claim, path, ctx, where))
    elif "configMap" in volume:
        source = expect_map(volume["configMap"], where)
        data = ctx.objects.config_maps.get(scalar_text(source.get("name")))
        values = None if data is None else {k: escape_template(v) for k, v in data.items()}
        configs.extend(_files(source, values, mount, ctx, where))
    elif "secret" in volume:
        source = expect_map(volume["secret"], where)
        secret = scalar_text(source.get("secretName"))
        keys = ctx.objects.secrets.get(secret)
        values = (
            None if keys is None else {key: ctx.secret_parameter(secret, key) or "" for key in keys}
        )
        configs.extend(_files(source, values, mount, ctx, where))
    else:
        kinds = ", ".join(k for k in volume if k != "name")
        ctx.warn(
            f"{where}: the {kinds} volume at {path} is not carried; the container gets an "
            "empty directory"
        )


def _claim_volume(claim: str, path: str, ctx: KubeContext, where: str) -> Entry:
    volume: Entry = {"name": dns_name(claim, "data"), "path": path}
    manifest = ctx.objects.claims.get(claim)
    if manifest is None:
        ctx.warn(f"{where}: PersistentVolumeClaim {claim} is not in the manifests; no size")
        return volume
    size = _requested_storage(manifest.spec(), manifest.where)
    return {**volume, "size": size} if size else volume


def _template_volume(name: str, template: Entry, mount: Entry, where: str) -> Entry:
    volume: Entry = {"name": dns_name(name, "data"), "path": scalar_text(mount.get("mountPath"))}
    size = _requested_storage(expect_map(template.get("spec"), where), where)
    return {**volume, "size": size} if size else volume


def _requested_storage(spec: Entry, where: str) -> str | None:
    requests = expect_map(expect_map(spec.get("resources"), where).get("requests"), where)
    storage = requests.get("storage")
    return None if storage is None else quantity_from_kubernetes(storage, f"{where}.storage")


def _files(
    source: Entry, values: dict[str, str] | None, mount: Entry, ctx: KubeContext, where: str
) -> list[Entry]:
    """One config per key (or per `items` entry); `subPath` picks a single key."""
    if values is None:
        ctx.warn(f"{where}: the ConfigMap or Secret it mounts is not in the manifests; left out")
        return []
    base = scalar_text(mount.get("mountPath"))
    default_mode = source.get("defaultMode")
    items = expect_list(source.get("items"), where) or [{"key": k, "path": k} for k in values]
    files = []
    for item in items:
        key, relative = scalar_text(item.get("key")), scalar_text(item.get("path"))
        sub_path = scalar_text(mount.get("subPath", ""))
        if key not in values or (sub_path and sub_path != relative):
            continue
        path = base if sub_path else posixpath.join(base, relative)
        files.append(_config(path, values[key], item.get("mode", default_mode)))
    return files


def _config(path: str, content: str, mode: Any) -> Entry:
    config: Entry = {"path": path, "content": content}
    if isinstance(mode, int) and not isinstance(mode, bool):
        config["mode"] = file_mode(mode, path)
    return config
