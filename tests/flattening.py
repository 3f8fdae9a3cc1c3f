"""Helpers for the flattening tests and bench: images of hand-written layers in a store,
`docker export` of an image into a directory, and a comparable snapshot of a tree."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import docker

from sealift.oci import media
from sealift.oci.descriptor import Descriptor
from sealift.oci.layout import Layout

ENGINE_ADDS = {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab"}
ENGINE_DIRS = ("dev", "proc", "sys")
"""What a container's filesystem has that its image does not (ignored when comparing;
so is the modification time of /etc, where the engine adds files)."""

Entry = tuple[Any, ...]
Snapshot = dict[str, tuple[Any, ...]]


def layer_tar(entries: list[Entry]) -> bytes:
    """An uncompressed tar of (name, kind, arg) entries: kind f (arg: bytes), d, s and h
    (arg: link target), c (a character device), p (a FIFO)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, *rest in entries:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "d" else 0o644
            if kind == "f":
                info.size = len(rest[0])
                tar.addfile(info, io.BytesIO(rest[0]))
                continue
            info.type = {"d": tarfile.DIRTYPE, "s": tarfile.SYMTYPE, "h": tarfile.LNKTYPE}.get(
                kind, tarfile.CHRTYPE if kind == "c" else tarfile.FIFOTYPE
            )
            info.linkname = rest[0] if rest else ""
            info.devmajor, info.devminor = (8, 0) if kind == "c" else (0, 0)
            tar.addfile(info)
    return raw.getvalue()


def store_image(
    layout: Layout, layers: list[bytes | list[Entry]], config: dict[str, Any] | None = None
) -> Descriptor:
    """An image manifest in `layout` whose layers are `layers` (entries are made into a
    gzip tar; bytes are stored as they are)."""
    descriptors = []
    for layer in layers:
        blob = layer if isinstance(layer, bytes) else gzip.compress(layer_tar(layer), mtime=0)
        descriptors.append(Descriptor(media.OCI_LAYER_GZIP, layout.put_bytes(blob), len(blob)))
    doc = {"architecture": "amd64", "os": "linux", "config": config or {}}
    config_desc = layout.put_json(doc, media.OCI_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": media.OCI_MANIFEST,
        "config": config_desc.to_json(),
        "layers": [d.to_json() for d in descriptors],
    }
    return layout.put_json(manifest, media.OCI_MANIFEST)


def export_image(client: docker.DockerClient, image: str, dest: Path) -> None:
    """`docker export` of a (never started) container of `image`, extracted into `dest`
    by GNU tar keeping numeric owners and modes."""
    container = client.containers.create(image, ["true"])
    try:
        dest.mkdir(parents=True)
        export = subprocess.Popen(["docker", "export", container.id], stdout=subprocess.PIPE)
        subprocess.run(
            ["tar", "-x", "--same-owner", "--numeric-owner", "-p", "-C", str(dest)],
            stdin=export.stdout,
            check=True,
        )
        assert export.wait() == 0
    finally:
        container.remove(force=True)


def snapshot(root: Path) -> Snapshot:
    """path -> (type, mode, uid, gid, size, link target or content hash, mtime, hard-link
    group): everything flattening must keep, of everything but what the engine adds."""
    out: Snapshot = {}
    inodes: dict[int, list[str]] = {}
    for directory, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        dirs[:] = [d for d in dirs if _rel(rel_dir, d) not in ENGINE_DIRS]
        for name in dirs + files:
            rel = _rel(rel_dir, name)
            if rel in ENGINE_ADDS:
                continue
            info = os.lstat(os.path.join(directory, name))
            facts = _describe(os.path.join(directory, name), info)
            out[rel] = (*facts[:6], "" if rel == "etc" else facts[6])  # the engine wrote in it
            if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode):
                inodes.setdefault(info.st_ino, []).append(rel)
    groups = {rel: tuple(sorted(names)) for names in inodes.values() for rel in names}
    return {rel: (*facts, groups.get(rel, ())) for rel, facts in out.items()}


def _rel(directory: str, name: str) -> str:
    return name if directory == "." else f"{directory}/{name}"


def _describe(path: str, info: os.stat_result) -> tuple[Any, ...]:
    kind = stat.S_IFMT(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        detail = os.readlink(path)
    elif stat.S_ISREG(info.st_mode):
        detail = _sha256(path)
    else:
        detail = ""
    mtime = int(info.st_mtime)
    size = info.st_size if stat.S_ISREG(info.st_mode) else 0
    return (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, size, detail, mtime)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
