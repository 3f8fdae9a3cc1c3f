"""`sealift export --as helm`: the Helm chart (`.tgz`) of an app version, its images as an
OCI layout (`images.tar`: a sealift bundle, which is an OCI image layout in a tar, so
`skopeo copy oci-archive:...` and `sealift import` + `sealift push` both read it) and a
README with the two commands. Every platform of every image is carried, so the digests
the chart names are the ones pushed; `--platform` only checks that the images have it."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

from sealift.bundle.export import nested_bundle
from sealift.bundle.plan import ExportOptions
from sealift.bundle.sink import FileSink
from sealift.bundle.tarstream import TarWriter, archive_size
from sealift.market.catalog import AppVersion, Market
from sealift.market.format import component_ref
from sealift.market.rendering import render_input, render_version
from sealift.oci.descriptor import Platform
from sealift.progress import Progress
from sealift.render.base import Rendering
from sealift.space import require_space

IMAGES = "images.tar"


def helm_package(
    market: Market,
    app: AppVersion,
    target: Path,
    platform: Platform,
    progress: Progress,
    generate: Callable[[int], str],
) -> tuple[Path, list[str], list[str]]:
    """Write the package; return its path, its member names and the rendering's warnings.
    The caller holds a lease on the store."""
    inp = render_input(market, app.ref, "helm", {}, generate=generate, platform=str(platform))
    rendering = render_version(inp, "helm")
    chart_name = f"{app.name}-{app.version}.tgz"
    members = {chart_name: chart_archive(app.name, rendering), "README.md": _readme(app)}
    bundle = nested_bundle(market, ExportOptions([app.ref], [], [], None))
    folder = f"{app.name}-{app.version}"
    sizes = [(f"{folder}/{name}", len(data)) for name, data in members.items()]
    total = archive_size([*sizes, (f"{folder}/{IMAGES}", bundle.size)])
    require_space(target.absolute().parent, total, "the package", "write it elsewhere (-o)")
    sink = FileSink(target)
    try:
        tar = TarWriter(sink)
        for name, data in members.items():
            tar.add_bytes(f"{folder}/{name}", data)
        tar.add_written(f"{folder}/{IMAGES}", bundle.size, lambda s: bundle.write(s, progress))
        tar.close()
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    return target, [*members, IMAGES], list(rendering.warnings)


def chart_archive(name: str, rendering: Rendering) -> bytes:
    """The chart as `helm package` lays it out: `<name>/...` in a gzip tar (small: in
    memory), with fixed times so that the same chart gives the same bytes."""
    buffer = io.BytesIO()
    packed = gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0)
    with packed, tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in sorted(rendering.files.items()):
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _readme(app: AppVersion) -> bytes:
    chart = f"{app.name}-{app.version}.tgz"
    model = app.model
    required = [n for n, p in model.parameters.items() if p.required]
    sets = "".join(f" --set {n}=VALUE" for n in required)
    skopeo = "\n".join(
        f"    skopeo copy --all oci-archive:{IMAGES}:{component_ref(app.name, c, app.version)} "
        f"docker://REGISTRY/{component_ref(app.name, c, app.version)}"
        for c in model.components
    )
    text = f"""# {app.name} {app.version} for Kubernetes (Helm)

{model.description or ""}

This package needs no sealift at the site. It holds the Helm chart `{chart}`
and every image of the app, for every platform, in `{IMAGES}` (an OCI image layout in a
tar; the chart names each image by its digest). REGISTRY below is the site's registry
and a prefix, e.g. `harbor.example.com/apps`.

1. Push the images into the site's registry, with sealift:

    sealift import {IMAGES} && sealift push {app.ref} --to REGISTRY

   or with skopeo (add `--dest-creds USER:PASSWORD` or `--dest-tls-verify=false` as the
   registry needs):

{skopeo}

2. Install the chart:

    helm install {app.name} {chart} --set imageRegistry=REGISTRY{sets}

`helm show values {chart}` lists every parameter with its description.
"""
    return text.encode()


__all__ = ["chart_archive", "helm_package"]
