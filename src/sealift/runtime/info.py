"""What a sealift.pyz carries (its runtime.json), read without running it, and which runtime
(if any) the running sealift was started from."""

from __future__ import annotations

import json
import platform
import sys
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import sealift
from sealift.errors import RuntimeBuildError
from sealift.runtime.pyz import MANIFEST

MANIFEST_LIMIT = 1024**2
EXTRACTED_MANIFEST = "sealift-runtime.json"
"""Written by the bootstrap beside the extracted packages: the manifest and the set used."""


@dataclass(frozen=True)
class RuntimeInfo:
    sealift: str
    runtime_id: str
    pythons: list[str]
    machines: list[str]
    glibc: str
    size: int | None = None

    @property
    def platforms(self) -> str:
        """`CPython 3.9-3.13 on x86_64, aarch64 (glibc >= 2.28)`."""
        pythons = f"{self.pythons[0]}-{self.pythons[-1]}" if self.pythons else "none"
        return f"CPython {pythons} on {', '.join(self.machines)} (glibc >= {self.glibc})"

    def to_json(self) -> dict[str, Any]:
        return {
            "sealift": self.sealift,
            "id": self.runtime_id,
            "pythons": self.pythons,
            "machines": self.machines,
            "glibc": self.glibc,
            "size": self.size,
        }


def from_manifest(doc: dict[str, Any], size: int | None = None) -> RuntimeInfo:
    try:
        return RuntimeInfo(
            sealift=str(doc["sealift"]),
            runtime_id=str(doc["id"]),
            pythons=[str(p) for p in doc["pythons"]],
            machines=[str(m) for m in doc["machines"]],
            glibc=str(doc["glibc"]),
            size=size,
        )
    except (KeyError, TypeError) as exc:
        raise RuntimeBuildError(f"the runtime's {MANIFEST} lacks {exc}; build it again") from exc


def read_runtime(source: Path | IO[bytes], size: int | None = None) -> RuntimeInfo:
    """The manifest of a sealift.pyz (a path, or a seekable file positioned anywhere)."""
    try:
        with zipfile.ZipFile(source) as archive:
            entry = archive.getinfo(MANIFEST)
            if entry.file_size > MANIFEST_LIMIT:
                raise RuntimeBuildError(f"the runtime's {MANIFEST} is too large; build it again")
            doc = json.loads(archive.read(entry))
    except (KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise RuntimeBuildError(
            f"not a sealift runtime ({exc}); build one with `sealift runtime build`"
        ) from exc
    return from_manifest(doc, size)


def current() -> RuntimeInfo | None:
    """The runtime this sealift runs from, None when it is installed (not a zipapp)."""
    path = Path(sealift.__file__).resolve().parent.parent / EXTRACTED_MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return from_manifest(doc)


def version_report() -> dict[str, Any]:
    """What `sealift version` says: sealift, the Python it runs on, the runtime's platforms."""
    running = current()
    archive = Path(sys.argv[0]).absolute() if running else None
    if running and archive and archive.is_file():
        running = replace(running, size=archive.stat().st_size)
    return {
        "sealift": sealift.__version__,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "machine": platform.machine(),
        "runtime": running.to_json() if running else None,
        "archive": str(archive) if archive else None,
    }
