"""Writing sealift.pyz: a reproducible zip (sorted names, fixed times and modes) holding the
bootstrap `__main__.py`, `runtime.json` and every wheel (sealift's own one made here)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sealift

EPOCH = (1980, 1, 1, 0, 0, 0)
"""The time of every member: the zip's own epoch, so the same input gives the same bytes."""
MANIFEST = "runtime.json"
PLACEHOLDER = "RUNTIME = {}  # type: Dict[str, Any]"
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")


def member(name: str, *, compress: bool = True, mode: int = 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = (0o100000 | mode) << 16
    info.create_system = 3
    return info


def sealift_files() -> Iterator[tuple[str, Path]]:
    """sealift's package files (sources and data, no bytecode), sorted."""
    root = Path(sealift.__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield f"sealift/{path.relative_to(root).as_posix()}", path


def sealift_wheel(version: str, requirements: list[str]) -> bytes:
    """A wheel of the running sealift (its files as they are now, editable install or not)."""
    info = f"sealift-{version}.dist-info"
    meta = "".join(f"Requires-Dist: {req}\n" for req in requirements)
    texts = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: sealift\nVersion: {version}\n{meta}",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: sealift runtime build\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": "",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in sealift_files():
            archive.writestr(member(name), path.read_bytes())
        for name, text in sorted(texts.items()):
            archive.writestr(member(name), text)
    return buffer.getvalue()


def sealift_source_digest() -> str:
    """sha256 over sealift's package files and names: the source part of the build key."""
    digest = hashlib.sha256()
    for name, path in sealift_files():
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def runtime_id(wheels: dict[str, Path], manifest: dict[str, Any]) -> str:
    """The content hash of a runtime: its bootstrap, its manifest and its wheels."""
    digest = hashlib.sha256(BOOTSTRAP.read_bytes())
    digest.update(json.dumps(manifest, sort_keys=True).encode())
    for name in sorted(wheels):
        digest.update(name.encode() + b"\0" + bytes.fromhex(file_sha256(wheels[name])))
    return digest.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bootstrap_source(manifest: dict[str, Any]) -> str:
    embedded = {key: manifest[key] for key in ("id", "sealift", "pythons", "machines", "glibc")}
    embedded["sets"] = manifest["sets"]
    source = BOOTSTRAP.read_text(encoding="utf-8")
    return source.replace(PLACEHOLDER, f"RUNTIME = {json.dumps(embedded, sort_keys=True)}", 1)


def write_pyz(out: Path, wheels: dict[str, Path], manifest: dict[str, Any]) -> None:
    """Write the zipapp to `out` (the caller renames it into place); wheels are stored as
    they are (already compressed), streamed."""
    with out.open("wb") as handle:
        handle.write(b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(member("__main__.py"), bootstrap_source(manifest))
            text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
            archive.writestr(member(MANIFEST), text)
            for name in sorted(wheels):
                info = member(f"wheels/{name}", compress=False)
                with wheels[name].open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
        handle.flush()
        os.fsync(handle.fileno())  # the cache trusts a runtime by its name: it must be whole
