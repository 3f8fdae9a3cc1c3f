"""`sealift runtime build`: resolve every target's wheels, write sealift.pyz, and keep the
result in `$SEALIFT_HOME/runtime/`, rebuilt only when its key changes.

The key is a hash of sealift's version, its requirements (the pins) and its package files,
the list of targets and the bootstrap: the same key gives the cached runtime without
looking at the wheelhouse again."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

import sealift
from sealift.files import check_output, fsync_dir
from sealift.runtime import pyz
from sealift.runtime.fetch import resolve_all, sealift_requirements
from sealift.runtime.resolve import Resolution
from sealift.runtime.wheels import MACHINES, PYTHONS, SPEEDUPS, Wheel

FORMAT = 1
"""The layout of sealift.pyz and its runtime.json; part of the build key."""
KEEP = 3
"""Built runtimes kept in the cache (older ones may still be read by a running export)."""


@dataclass(frozen=True)
class BuildRequest:
    home: Path
    """`$SEALIFT_HOME`: the cache of built runtimes and the default wheelhouse live there."""
    wheelhouse: Path | None = None
    """Wheels to build from, offline; None: download what is missing into the default one."""

    @property
    def cache(self) -> Path:
        return self.home / "runtime"

    @property
    def wheel_dir(self) -> Path:
        return self.wheelhouse or self.cache / "wheels"


def build_key(requirements: list[Requirement]) -> str:
    doc = {
        "format": FORMAT,
        "sealift": sealift.__version__,
        "requirements": sorted(str(req) for req in requirements),
        "source": pyz.sealift_source_digest(),
        "bootstrap": pyz.file_sha256(pyz.BOOTSTRAP),
        "targets": [list(PYTHONS), list(MACHINES)],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def cached_runtime(request: BuildRequest) -> Path:
    """The runtime of the running sealift, built into the cache first when it is not there."""
    requirements = sealift_requirements()
    path = request.cache / f"sealift-{sealift.__version__}-{build_key(requirements)}.pyz"
    if not path.is_file():
        request.cache.mkdir(parents=True, exist_ok=True)
        write_runtime(path, request, requirements)
        prune(request.cache, keep=KEEP)
    return path


def prune(cache: Path, keep: int) -> None:
    """Delete all but the `keep` newest runtimes (each ~40 MB; a changed source makes one)."""
    built = sorted(cache.glob("sealift-*.pyz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in built[keep:]:
        old.unlink(missing_ok=True)


def build(request: BuildRequest, out: Path) -> Path:
    """Copy the (cached) runtime to `out`, atomically."""
    check_output(out)
    source = cached_runtime(request)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.absolute().parent)
    try:
        with open(fd, "wb") as target, source.open("rb") as handle:
            shutil.copyfileobj(handle, target, 1 << 20)
            target.flush()
            os.fsync(target.fileno())
        Path(name).chmod(0o755)
        Path(name).replace(out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    fsync_dir(out.absolute().parent)
    return out


def fetch_wheelhouse(directory: Path) -> list[Resolution]:
    """Download into `directory` every wheel that every target needs (`runtime fetch`)."""
    return resolve_all(directory, sealift_requirements(), download=True)


def write_runtime(path: Path, request: BuildRequest, requirements: list[Requirement]) -> None:
    directory = request.wheel_dir
    directory.mkdir(parents=True, exist_ok=True)
    results = resolve_all(directory, requirements, download=request.wheelhouse is None)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=path.parent) as work:
        own = Path(work) / f"sealift-{sealift.__version__}-py3-none-any.whl"
        own.write_bytes(pyz.sealift_wheel(sealift.__version__, [str(r) for r in requirements]))
        wheels = {own.name: own} | {w.filename: w.path for w in chosen_wheels(results)}
        manifest = make_manifest(results, own.name, requirements, wheels)
        part = Path(work) / "sealift.pyz"
        pyz.write_pyz(part, wheels, manifest)
        part.chmod(0o755)
        part.replace(path)
    fsync_dir(path.parent)


def chosen_wheels(results: list[Resolution]) -> list[Wheel]:
    found = {w.filename: w for result in results for w in result.chosen.values()}
    return [found[name] for name in sorted(found)]


def make_manifest(
    results: list[Resolution], own: str, requirements: list[Requirement], wheels: dict[str, Path]
) -> dict[str, Any]:
    """runtime.json: what the runtime carries; its `id` hashes all of it and the wheels."""
    compiled = [w for w in chosen_wheels(results) if not w.pure]
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "sealift": sealift.__version__,
        "pythons": [f"{major}.{minor}" for major, minor in PYTHONS],
        "machines": list(MACHINES),
        "glibc": f"2.{max((oldest_glibc(w) for w in compiled), default=17)}",
        "requirements": sorted(str(req) for req in requirements),
        "sets": {r.target.name: set_members(r, own) for r in results},
        "compiled": sorted({w.name for w in compiled}),
        "left_out": [f"{name}: compiled speed-up (its pure wheel is carried)" for name in SPEEDUPS],
        "wheels": {name: wheel_entry(path) for name, path in sorted(wheels.items())},
    }
    manifest["id"] = pyz.runtime_id(wheels, manifest)
    return manifest


def set_members(result: Resolution, own: str) -> list[str]:
    """The wheels a target extracts: sealift's own, then its dependencies by name."""
    return [own, *sorted(w.filename for w in result.chosen.values())]


def wheel_entry(path: Path) -> dict[str, Any]:
    return {"sha256": pyz.file_sha256(path), "size": path.stat().st_size}


def oldest_glibc(wheel: Wheel) -> int:
    """The oldest glibc minor version this wheel names (manylinux2014 is glibc 2.17)."""
    legacy = {"manylinux1_": 5, "manylinux2010_": 12, "manylinux2014_": 17}
    found = [
        glibc
        for tag in wheel.tags
        for head, glibc in legacy.items()
        if tag.platform.startswith(head)
    ]
    found += [
        int(tag.platform.split("_")[2])
        for tag in wheel.tags
        if tag.platform.startswith("manylinux_2_")
    ]
    return min(found, default=17)
