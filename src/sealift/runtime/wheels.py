"""Wheel files of a wheelhouse, read for the site runtime: which Python and machine a wheel
runs on, what it requires, and which of several candidates a target takes.

A target is one CPython minor version on one manylinux machine (glibc, x86_64 or aarch64).
Markers are evaluated for the target, not for the Python that builds (pip cannot do that)."""

from __future__ import annotations

import email.parser
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from sealift.errors import RuntimeBuildError

PYTHONS = ((3, 9), (3, 10), (3, 11), (3, 12), (3, 13))
"""The CPython versions the runtime carries."""
OLDEST_PATCH = {(3, 9): 2}
"""The oldest patch release taken (3.9.2 is Debian bullseye's; some wheels refuse 3.9.0/1)."""
MACHINES = ("x86_64", "aarch64")
MAX_GLIBC = 28
"""The newest manylinux tag taken: glibc 2.28 (Debian 10, RHEL 8, Ubuntu 18.10 and later)."""
SPEEDUPS = frozenset({"charset-normalizer"})
"""Packages whose compiled wheel only speeds up their pure one: the pure one is carried."""


@dataclass(frozen=True)
class Target:
    python: tuple[int, int]
    machine: str

    @property
    def name(self) -> str:
        """`cp39-x86_64`: the name of this target's set in the runtime."""
        return f"cp{self.python[0]}{self.python[1]}-{self.machine}"

    @property
    def version_text(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def full_version(self) -> str:
        """The oldest patch release of this minor version the runtime runs on."""
        return f"{self.version_text}.{OLDEST_PATCH.get(self.python, 0)}"

    def environment(self) -> dict[str, str]:
        """The PEP 508 marker environment of this target."""
        return {
            "python_version": self.version_text,
            "python_full_version": self.full_version,
            "implementation_name": "cpython",
            "implementation_version": self.full_version,
            "platform_python_implementation": "CPython",
            "platform_machine": self.machine,
            "platform_system": "Linux",
            "sys_platform": "linux",
            "os_name": "posix",
            "extra": "",
        }

    def platforms(self) -> list[str]:
        """Platform tags this target runs, newest glibc first (as pip's `--platform`)."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(MAX_GLIBC, 16, -1)]
        legacy = ["manylinux2014", "manylinux2010", "manylinux1"]
        return tags + [f"{name}_{self.machine}" for name in legacy]


def all_targets() -> list[Target]:
    return [Target(python, machine) for machine in MACHINES for python in PYTHONS]


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str
    version: Version
    tags: frozenset[Tag]

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def pure(self) -> bool:
        return all(tag.platform == "any" for tag in self.tags)

    @cached_property
    def metadata(self) -> dict[str, list[str]]:
        """METADATA headers (each a list of values), read once from the wheel."""
        return read_metadata(self.path)

    def requires(self, target: Target) -> list[Requirement]:
        """What this wheel requires on `target` (markers evaluated, extras left out)."""
        found = [Requirement(text) for text in self.metadata.get("Requires-Dist", [])]
        return [req for req in found if applies(req, target)]

    def runs_on(self, target: Target) -> bool:
        return self.rank(target) is not None and self.python_ok(target)

    def python_ok(self, target: Target) -> bool:
        spec = self.metadata.get("Requires-Python", [""])[0]
        return not spec or SpecifierSet(spec).contains(target.full_version)

    def rank(self, target: Target) -> tuple[int, int, int] | None:
        """How well this wheel fits `target` (lower is better), None when it does not run."""
        if self.name in SPEEDUPS and not self.pure:
            return None
        ranks = [r for r in (tag_rank(tag, target) for tag in self.tags) if r is not None]
        return min(ranks) if ranks else None


def read_metadata(path: Path) -> dict[str, list[str]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            text = archive.read(names[0]).decode("utf-8") if len(names) == 1 else ""
    except (OSError, zipfile.BadZipFile) as exc:
        raise RuntimeBuildError(f"cannot read wheel {path}: {exc}; remove it") from exc
    if not text:
        raise RuntimeBuildError(f"wheel {path} has no METADATA; remove it")
    message = email.parser.Parser().parsestr(text, headersonly=True)
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        headers.setdefault(key, []).append(str(value))
    return headers


def applies(req: Requirement, target: Target) -> bool:
    if req.marker is None:
        return True
    return Marker(str(req.marker)).evaluate(target.environment())


def tag_rank(tag: Tag, target: Target) -> tuple[int, int, int] | None:
    """(platform, abi, age): platform-specific before `any`, the exact ABI before abi3 before
    none, the oldest abi3 and glibc (one wheel serves more targets). None: does not run."""
    platform = platform_rank(tag.platform, target)
    abi = abi_rank(tag, target)
    if platform is None or abi is None:
        return None
    return (1 if tag.platform == "any" else 0, abi[0], abi[1] * 100 + platform)


def platform_rank(platform: str, target: Target) -> int | None:
    if platform == "any":
        return 0
    platforms = target.platforms()
    return len(platforms) - platforms.index(platform) if platform in platforms else None


def abi_rank(tag: Tag, target: Target) -> tuple[int, int] | None:
    major, minor = target.python
    exact = f"cp{major}{minor}"
    if tag.abi == exact and tag.interpreter == exact:
        return (0, 0)
    if tag.abi == "abi3" and tag.interpreter.startswith("cp3"):
        built = int(tag.interpreter[3:] or 0)
        return (1, built) if built <= minor else None
    if tag.abi == "none" and python_tag_ok(tag.interpreter, target):
        return (2, 0)
    return None


def python_tag_ok(interpreter: str, target: Target) -> bool:
    major, minor = target.python
    if interpreter in (f"py{major}", f"cp{major}{minor}"):
        return True
    if interpreter.startswith(f"py{major}") and interpreter[3:].isdigit():
        return int(interpreter[3:]) <= minor
    return False


def load_wheel(path: Path) -> Wheel:
    name, version, _build, tags = parse_wheel_filename(path.name)
    return Wheel(path, canonicalize_name(name), version, frozenset(tags))


def wheelhouse(directory: Path) -> list[Wheel]:
    """Every wheel in `directory` whose name parses (others are ignored)."""
    found: list[Wheel] = []
    for path in sorted(directory.glob("*.whl")):
        try:
            found.append(load_wheel(path))
        except ValueError:
            continue
    return found
