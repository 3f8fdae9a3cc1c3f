"""`sealift export --as compose|helm`: one tar a site uses with no sealift.

compose: `<app>-<version>/` with the Compose file, `.env`, config files, `images.tar` (a
`docker load` archive of every image for one platform), `install.sh`, a README and
SHA256SUMS of every other file (which install.sh checks first). helm: the chart as a
`.tgz`, the images as an OCI layout and a README with the two commands.

Streamed: blobs go from the store into the tar, hashed on the way; the tar is written as
FILE.tmp and renamed only when complete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealift.bundle.installsh import DEFAULTS, IMAGES, SUMS, InstallScript, install_script
from sealift.bundle.sink import FileSink
from sealift.bundle.tarstream import TarWriter, archive_size
from sealift.errors import UsageError
from sealift.files import check_output
from sealift.market.catalog import AppVersion, Market
from sealift.model.params import render, resolve_values
from sealift.oci.descriptor import Platform
from sealift.progress import NO_PROGRESS, Progress
from sealift.render.compose import (
    ENV_FILE,
    ComposeOptions,
    compose_files,
    config_parameters,
    permission_commands,
    readme,
)
from sealift.space import require_space
from sealift.targets.base import ImageToLoad
from sealift.targets.docker.images import load_archive, load_archive_size
from sealift.targets.images import manifest_for

if TYPE_CHECKING:
    from sealift.model.app import AppModel

KINDS = ("compose", "helm")
DEFAULT_PLATFORM = "linux/amd64"
EXECUTABLE = 0o755


@dataclass(frozen=True)
class PackageResult:
    path: Path
    size: int
    platform: str
    files: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Member:
    name: str
    size: int
    chunks: Callable[[], Iterable[bytes]]
    mode: int = 0o644


def export_package(
    market: Market,
    ref: str,
    kind: str,
    target: Path,
    *,
    generate: Callable[[int], str],
    platform: Platform | None = None,
    progress: Progress = NO_PROGRESS,
) -> PackageResult:
    """Write the package of app version `ref` for `kind` (compose or helm) to `target`."""
    if kind not in KINDS:
        raise UsageError(f"unknown package kind {kind!r}: use --as compose or --as helm")
    check_output(target)
    chosen = platform or Platform.parse(DEFAULT_PLATFORM)
    with market.layout.lease():
        app = market.find(ref)
        if kind == "compose":
            return _compose_package(market, app, target, chosen, generate, progress)
        from sealift.bundle.helmpackage import helm_package

        path, names, warnings = helm_package(market, app, target, chosen, progress, generate)
        return PackageResult(path, path.stat().st_size, str(chosen), names, warnings)


def image_tag(app: AppVersion, component: str) -> str:
    """The tag a loaded image gets: `<app>/<component>:<version>` (as `registry serve`)."""
    return f"{app.name}/{component}:{app.version.replace('+', '_')}"


def _compose_package(
    market: Market,
    app: AppVersion,
    target: Path,
    platform: Platform,
    generate: Callable[[int], str],
    progress: Progress,
) -> PackageResult:
    model = app.model
    images = _images(market, app, platform)
    values, later, warnings = _values(model, generate)
    tags = {c.name: image_tag(app, c.name) for c in app.components}
    originals = {c.name: c.image for c in app.components}
    options = ComposeOptions(tags, originals, later=later, pull_never=True)
    out = compose_files(model, values, options)
    size = load_archive_size(images)
    title = f"{app.name} {app.version}"
    script = InstallScript(
        title,
        size,
        generated={n: int(model.parameters[n].generate or 16) for n in later},
        required=[n for n, p in model.parameters.items() if p.required and not values.get(n)],
        permissions=permission_commands(out.file_modes),
    )
    files = dict(out.files)
    files[DEFAULTS] = files.pop(ENV_FILE)
    warnings += out.warnings
    install = f"Install it with `./install.sh` in this directory ({platform})."
    files["README.md"] = readme(model, out, install + _README_MORE).encode()
    files["install.sh"] = install_script(script).encode()
    members = [_member(name, data) for name, data in sorted(files.items())]
    members.append(_Member(IMAGES, size, lambda: load_archive(market.layout, images, progress)))
    path = _write(target, f"{app.name}-{app.version}", members, progress)
    return PackageResult(
        path, path.stat().st_size, str(platform), [m.name for m in members], warnings
    )


_README_MORE = (
    " It checks Docker, Compose, the disk space and the checksums of every file (SHA256SUMS),"
    " loads the images (`docker load`) and starts the app (`docker-compose up -d`); it never"
    " downloads anything. Its first run makes `.env` from `defaults.env`; run it again after"
    " changing `.env`. `docker-compose down` stops the app and keeps its volumes. To upgrade,"
    " copy `.env` from the old version's directory into the new one (it holds the generated"
    " passwords), then run the new `./install.sh`."
)


def _images(
    market: Market, app: AppVersion, platform: Platform
) -> list[tuple[dict[str, Any], list[str]]]:
    """Every component's image manifest for `platform`, each once, with its tags."""
    found: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for comp in app.components:
        image = ImageToLoad(comp.name, comp.image, comp.descriptor)
        manifest = manifest_for(market.layout, image, platform)
        entry = found.setdefault(manifest.digest, (market.layout.read_json(manifest.digest), []))
        entry[1].append(image_tag(app, comp.name))
    return list(found.values())


def _values(
    model: AppModel, generate: Callable[[int], str]
) -> tuple[dict[str, str], set[str], list[str]]:
    """Values of the package: defaults, and empty for a required parameter (install.sh asks
    for it); generated secrets are left to install.sh at the site, except those a config
    file needs (made now, and said so)."""
    required = {n: p for n, p in model.parameters.items() if p.required}
    placeholders = {n: _PLACEHOLDERS[p.type] for n, p in required.items()}
    values = resolve_values(model, placeholders, None, generate)
    if not required:
        render(model, values)  # a default host port that is no port, or clashes: refused now
    values.update(dict.fromkeys(required, ""))
    generated = {n for n, p in model.parameters.items() if p.generate is not None}
    in_files = config_parameters(model)
    warnings = [
        f"parameter {name} is generated now, as a config file needs it: every site of this "
        "package gets the same value; change it in .env and the config files"
        for name in sorted(generated & in_files)
    ]
    warnings += [
        f"parameter {name} is required and a config file needs it: the file is written with "
        "it empty; fill it in there too"
        for name in sorted(set(required) & in_files)
    ]
    return values, generated - in_files, warnings


_PLACEHOLDERS = {"string": "x", "integer": "1", "boolean": "false"}


def _member(name: str, data: bytes) -> _Member:
    return _Member(name, len(data), lambda: [data], EXECUTABLE if name == "install.sh" else 0o644)


def _write(target: Path, folder: str, members: list[_Member], progress: Progress) -> Path:
    sums = sum(64 + 2 + len(m.name) + 1 for m in members)
    total = archive_size([(f"{folder}/{m.name}", m.size) for m in members] + [(SUMS, sums)])
    require_space(target.absolute().parent, total, "the package", "write it elsewhere (-o)")
    sink = FileSink(target)
    try:
        _stream(TarWriter(sink), folder, members, progress)
        sink.commit()
    except BaseException:
        sink.discard()
        raise
    return target


def _stream(tar: TarWriter, folder: str, members: list[_Member], progress: Progress) -> None:
    """Every member, hashed on the way, then SHA256SUMS; progress counts the image layers."""
    sums: list[str] = []
    progress.begin("package", sum(m.size for m in members if m.name == IMAGES))
    for member in members:
        digest = hashlib.sha256()
        chunks = _hashed(member.chunks(), digest)
        tar.add_chunks(f"{folder}/{member.name}", member.size, chunks, member.mode)
        sums.append(f"{digest.hexdigest()}  {member.name}\n")
    tar.add_bytes(f"{folder}/{SUMS}", "".join(sums).encode())
    tar.close()
    progress.end()


def _hashed(chunks: Iterable[bytes], digest: Any) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


__all__ = ["KINDS", "PackageResult", "export_package", "image_tag"]
