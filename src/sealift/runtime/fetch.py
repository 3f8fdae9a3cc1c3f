"""Filling a wheelhouse from PyPI with pip (the vendor's machine only; the site never does)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import sealift
from sealift.errors import RuntimeBuildError
from sealift.runtime.resolve import Resolution, resolve
from sealift.runtime.wheels import SPEEDUPS, Target, all_targets, wheelhouse

ROUNDS = 12
"""Download rounds per target at most (each one level deeper into the requirements)."""


def sealift_requirements() -> list[Requirement]:
    """sealift's own requirements: the pins of pyproject.toml in a source checkout (the
    installed metadata may lag behind it), else sealift's installed metadata."""
    texts = pyproject_requirements(source_root())
    if texts is None:
        texts = installed_requirements()
    found = [Requirement(text) for text in texts]
    return [req for req in found if req.marker is None or "extra" not in str(req.marker)]


def source_root() -> Path:
    """The directory that holds sealift's pyproject.toml when sealift runs from a checkout."""
    return Path(sealift.__file__).resolve().parent.parent.parent


def pyproject_requirements(root: Path) -> list[str] | None:
    path = root / "pyproject.toml"
    if sys.version_info >= (3, 11) and path.is_file():
        import tomllib

        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "sealift":
            return [str(text) for text in project.get("dependencies", [])]
    return None


def installed_requirements() -> list[str]:
    try:
        return metadata.requires("sealift") or []
    except metadata.PackageNotFoundError as exc:
        raise RuntimeBuildError(
            "sealift's package metadata is missing; install sealift (make setup) to build "
            "the runtime"
        ) from exc


def resolve_all(
    directory: Path, requirements: list[Requirement], *, download: bool
) -> list[Resolution]:
    """One resolution per target; missing wheels are downloaded into `directory` when
    `download` is set, and refused otherwise."""
    results = [resolve_one(directory, requirements, t, download=download) for t in all_targets()]
    return results


def resolve_one(
    directory: Path, requirements: list[Requirement], target: Target, *, download: bool
) -> Resolution:
    for _round in range(ROUNDS):
        result = resolve(requirements, wheelhouse(directory), target)
        if not result.missing:
            return result
        if not download:
            raise missing_error(directory, result)
        pip_download(directory, result.missing, target)
    raise missing_error(directory, result)


def missing_error(directory: Path, result: Resolution) -> RuntimeBuildError:
    names = ", ".join(str(req) for req in result.missing)
    return RuntimeBuildError(
        f"wheelhouse {directory} has no wheel for {names} on {result.target.name}; fill it "
        f"with `sealift runtime fetch --wheelhouse {directory}` on a machine with PyPI"
    )


def pip_download(directory: Path, missing: list[Requirement], target: Target) -> None:
    pure = [req for req in missing if canonicalize_name(req.name) in SPEEDUPS]
    rest = [req for req in missing if req not in pure]
    if rest:
        run_pip(directory, rest, target, target.platforms())
    if pure:
        run_pip(directory, pure, target, ["any"])


def run_pip(
    directory: Path, missing: list[Requirement], target: Target, platforms: list[str]
) -> None:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--implementation", "cp", "-d", str(directory)]
    command += ["--python-version", target.full_version]
    for platform in platforms:
        command += ["--platform", platform]
    command += [unmarked(req) for req in missing]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeBuildError(
            f"pip could not download wheels for {target.name}: {last}; check the pins in "
            "pyproject.toml and the connection to PyPI (or use --wheelhouse DIR)"
        )


def unmarked(req: Requirement) -> str:
    """The requirement without its marker (already evaluated for the target)."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"
