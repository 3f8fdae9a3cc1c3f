"""Build an example app's component images in the local Docker engine, for each platform.

Every app version has examples/<app>/<version>/sealift.yaml. Component C of version V is built
from examples/<app>/images/C/<v>/ with the highest v <= V, so a component that a release does
not change keeps the very same image. Each (component, source, arch) is built once, tagged
`<prefix>/C:<source>-<arch>` and labelled with a hash of everything that went into it; when an
image with that tag and hash exists already, nothing is built.

stdout gets one line per component and app version, `<component> <version> <source>`, for
scripts/build-examples.sh; what is done goes to stderr.

    .venv/bin/python scripts/example-images.py [--app-dir examples/shop] [--prefix P]
        [--arch amd64] [--arch arm64] [--version 1.0.0]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE_LABEL = "org.sealift.example.source"


@dataclass(frozen=True)
class Source:
    """The directory one component image is built from."""

    component: str
    version: str  # the name of the images/<component>/<version>/ directory
    path: Path


def busybox_for(arch: str) -> Path:
    """A static busybox for `arch` (the host's for amd64, Debian's arm64 one fetched once)."""
    if arch == "amd64":
        return Path("/bin/busybox")
    script = ROOT / "scripts" / "busybox-arm64.sh"
    out = subprocess.run([str(script)], check=True, capture_output=True, text=True).stdout
    return Path(out.strip())


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def app_versions(app_dir: Path) -> list[str]:
    found = [p.parent.name for p in app_dir.glob("*/sealift.yaml")]
    return sorted(found, key=version_key)


def components_of(app_dir: Path, version: str) -> list[str]:
    model = yaml.safe_load((app_dir / version / "sealift.yaml").read_text())
    return sorted(model["components"])


def source_for(app_dir: Path, component: str, version: str) -> Source:
    candidates = [p for p in (app_dir / "images" / component).iterdir() if p.is_dir()]
    usable = [p for p in candidates if version_key(p.name) <= version_key(version)]
    if not usable:
        raise SystemExit(f"error: no images/{component}/<v> directory with v <= {version}")
    best = max(usable, key=lambda p: version_key(p.name))
    return Source(component, best.name, best)


def context_files(app_dir: Path, source: Source, arch: str) -> Iterator[tuple[str, Path]]:
    """(name in the build context, file) for everything the image is built from."""
    yield "busybox", busybox_for(arch)
    for base, prefix in ((source.path, ""), (app_dir / "images" / "common", "common/")):
        for path in sorted(base.rglob("*")):
            if path.is_file():
                yield prefix + path.relative_to(base).as_posix(), path


def is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)


def source_hash(files: Iterable[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(f"{name}\0{is_executable(path)}\0".encode())
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def build_context(files: Iterable[tuple[str, Path]]) -> io.BytesIO:
    """A tar build context with fixed owners, modes and times, so COPY layers are reproducible."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, path in files:
            info = tarfile.TarInfo(name)
            info.size = path.stat().st_size
            info.mode = 0o755 if is_executable(path) else 0o644
            with path.open("rb") as stream:
                tar.addfile(info, stream)
    context.seek(0)
    return context


def existing_hash(client: docker.DockerClient, tag: str) -> str | None:
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    labels = image.labels or {}
    return labels.get(SOURCE_LABEL)


def ensure_image(
    client: docker.DockerClient, app_dir: Path, source: Source, tag: str, arch: str
) -> None:
    files = list(context_files(app_dir, source, arch))
    wanted = source_hash(files)
    if existing_hash(client, tag) == wanted:
        log(f"up to date: {tag}")
        return
    log(f"building {tag} (linux/{arch}) from {source.path}")
    client.images.build(
        fileobj=build_context(files),
        custom_context=True,
        tag=tag,
        platform=f"linux/{arch}",
        labels={SOURCE_LABEL: wanted},
        rm=True,
        forcerm=True,
    )


def log(message: str) -> None:
    print(f"     {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--app-dir", type=Path, default=ROOT / "examples" / "shop")
    parser.add_argument(
        "--prefix",
        default="127.0.0.1:5055/shop",
        help="image name prefix; images are PREFIX/<component>:<source>-<arch>",
    )
    parser.add_argument("--arch", action="append", choices=["amd64", "arm64"])
    parser.add_argument("--version", action="append", help="app versions (default: all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    app_dir: Path = args.app_dir.resolve()
    client = docker.from_env(timeout=600)
    built: set[tuple[Source, str]] = set()
    for version in args.version or app_versions(app_dir):
        for component in components_of(app_dir, version):
            source = source_for(app_dir, component, version)
            for arch in args.arch or ["amd64", "arm64"]:
                if (source, arch) not in built:
                    tag = f"{args.prefix}/{component}:{source.version}-{arch}"
                    ensure_image(client, app_dir, source, tag, arch)
                    built.add((source, arch))
            print(f"{component} {version} {source.version}", flush=True)


if __name__ == "__main__":
    main()
