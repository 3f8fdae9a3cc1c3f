"""`sealift render`: an app version of the market as files another tool runs (a Helm chart,
plain Kubernetes manifests, a compose file). Loads the version, resolves the values and the
images, checks everything before a file is written, and writes the directory atomically.
The renderers themselves are pure (`sealift.render`)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from sealift.errors import ModelError, UsageError
from sealift.files import fsync_dir
from sealift.market.catalog import AppVersion, Market
from sealift.model import params
from sealift.oci.descriptor import Platform
from sealift.render.base import ImageRef, Rendering, RenderInput
from sealift.targets.base import ImageToLoad
from sealift.targets.images import manifest_for

KINDS = ("helm", "manifests", "compose")
DEFAULT_PLATFORM = "linux/amd64"
_REGISTRY = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?(/[a-z0-9]+([._/-][a-z0-9]+)*)?$"
)


def render_input(
    market: Market,
    ref: str,
    kind: str,
    given: Mapping[str, str],
    *,
    generate: Callable[[int], str],
    registry: str | None = None,
    platform: str | None = None,
) -> RenderInput:
    """Everything a renderer needs; every problem is raised here, before any file exists.
    Helm gets only the given values (the chart asks for the rest); the others get every
    parameter's value (generated secrets made now)."""
    if kind not in KINDS:
        raise UsageError(f"cannot render as {kind!r}: use one of {', '.join(KINDS)}")
    app = market.find(ref)
    target = Platform.parse(platform or DEFAULT_PLATFORM)
    relocated = check_registry(registry)
    images = {c.name: _image(market, app, c.name, target, relocated) for c in app.components}
    model = app.model
    if kind == "helm":
        values = _given_values(app, given)
    else:
        values = params.resolve_values(model, given, None, generate)
        params.render(model, values)  # a host port that is no number, a clash: refused now
    return RenderInput(model, values, images, str(target), relocated)


def check_registry(registry: str | None) -> str | None:
    if not registry:
        return None
    if not _REGISTRY.match(registry):
        raise UsageError(
            f"--registry {registry!r} is not HOST[:PORT][/PREFIX]; give e.g. "
            "harbor.example.com/shop or 127.0.0.1:5000"
        )
    return registry


def _image(
    market: Market, app: AppVersion, name: str, platform: Platform, registry: str | None
) -> ImageRef:
    component = app.component(name)
    load = ImageToLoad(name, component.image, component.descriptor)
    manifest = manifest_for(market.layout, load, platform)  # every blob there, the platform too
    return ImageRef(
        original=component.image,
        digest=component.descriptor.digest,
        path=f"{app.name}/{name}",
        registry=registry,
        platform_digest=manifest.digest,
    )


def _given_values(app: AppVersion, given: Mapping[str, str]) -> dict[str, str]:
    """The given values, checked (name and type) and normalized."""
    model = app.model
    problems = [f"no parameter named '{n}'" for n in given if n not in model.parameters]
    values: dict[str, str] = {}
    for name, text in given.items():
        if name in model.parameters:
            try:
                values[name] = params.normalize(model.parameters[name], text, f"parameter '{name}'")
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ModelError(problems, "parameters")
    return values


def render_version(inp: RenderInput, kind: str) -> Rendering:
    if kind == "helm":
        from sealift.render.helm import render_helm

        return render_helm(inp)
    if kind == "manifests":
        from sealift.render.manifests import render_manifests

        return render_manifests(inp)
    from sealift.render.compose import render_compose

    return render_compose(inp)


def write_rendering(rendering: Rendering, out_dir: Path) -> None:
    """Write every file into a new directory beside `out_dir`, then rename it into place:
    `out_dir` holds the whole rendering or nothing. `out_dir` must not exist or be empty."""
    out_dir = out_dir.absolute()
    _check_out_dir(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for relative, content in sorted(rendering.files.items()):
            _write(staging, relative, content, relative in rendering.private)
        if out_dir.exists():
            out_dir.rmdir()
        os.chmod(staging, 0o755)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(out_dir.parent)


def _check_out_dir(out_dir: Path) -> None:
    if not out_dir.parent.is_dir():
        raise UsageError(f"directory {out_dir.parent} does not exist; create it first")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"{out_dir} exists and is not empty; remove it or give a new directory")


def _write(root: Path, relative: str, content: bytes, private: bool) -> None:
    path = root / relative
    if ".." in Path(relative).parts or Path(relative).is_absolute():
        raise ValueError(f"a rendering may not write {relative!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


__all__ = ["KINDS", "check_registry", "render_input", "render_version", "write_rendering"]
