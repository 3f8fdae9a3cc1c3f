"""One component's files and units on the host: written, checked, started, stopped, removed.

A component runs from the root directory of its image (see roots.py); what the spec adds
(environment, configs, the hosts file, volumes) lives beside it under the installation's
directory and is bind-mounted in. Unit files are checked with `systemd-analyze verify`
inside the root directory before they are written to the unit directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealift.errors import SystemdError
from sealift.files import atomic_write
from sealift.targets.base import DesiredComponent
from sealift.targets.systemd.paths import UNIT_PREFIX, Places
from sealift.targets.systemd.rootdir import RootDir, split_inside
from sealift.targets.systemd.systemctl import Systemd
from sealift.targets.systemd.units import (
    Launch,
    Owner,
    env_file,
    for_verify,
    proxy_units,
    read_owner,
    service_unit,
)

VERIFY_DIR = ("etc", "systemd", "system")


@dataclass(frozen=True)
class Host:
    """What the driver acts on: the installation's places and the host's systemd."""

    places: Places
    systemd: Systemd
    proxyd: str


def installed(host: Host) -> dict[str, Owner]:
    """The installation's unit files (main and proxy units), by file name."""
    places = host.places
    found = {}
    for path in sorted(places.unit_dir.glob(f"{UNIT_PREFIX}{places.instance}-*")):
        try:
            owner = read_owner(path.read_text(errors="replace"))
        except OSError:
            continue
        if owner is not None and owner.instance == places.instance:
            found[path.name] = owner
    return found


def mains(host: Host) -> dict[str, Owner]:
    """Component -> the owner of its main unit."""
    return {o.component: o for o in installed(host).values() if o.role == "component"}


def create(host: Host, revision: int, desired: DesiredComponent, launch: Launch) -> None:
    """Write what the component needs, its units, and start them."""
    places, spec = host.places, desired.spec
    owner = Owner(
        places.instance,
        desired.name,
        revision,
        desired.hash,
        str(spec["image"]),
        tuple(int(p) for p in spec.get("listen", [])),
        replicas=int(spec["replicas"]),
    )
    _write_files(places, desired.name, spec, launch)
    units = {
        places.unit_name(desired.name, owner.replicas): service_unit(places, owner, spec, launch)
    }
    _verify(host.systemd, Path(launch.root), units)
    for port in spec["ports"]:
        if int(port["host_port"]) != int(port["port"]):
            units.update(proxy_units(places, owner, port, host.proxyd))
    for name, text in units.items():
        atomic_write(places.unit_path(name), text.encode())
    started = [n for n in units if n.endswith(".socket")] + owner.unit_names(places)
    enabled = [n for n in started if "[Install]" in units[places.template_of(n)]]
    for name in enabled:
        _wanted_by(places, name).symlink_to(places.unit_path(places.template_of(name)))
    host.systemd.daemon_reload()  # `systemctl enable` would reload once more
    host.systemd.start(started)


def _wanted_by(places: Places, unit: str) -> Path:
    """Where `systemctl enable` links a unit (WantedBy= multi-user or sockets target)."""
    target = "sockets.target" if unit.endswith(".socket") else "multi-user.target"
    directory = places.unit_dir / f"{target}.wants"
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / unit
    link.unlink(missing_ok=True)
    return link


def remove(host: Host, component: str) -> None:
    """Stop and delete the component's units (its root directories stay for a rollback)."""
    places = host.places
    names = {n: o for n, o in installed(host).items() if o.component == component}
    running = []
    for name, owner in names.items():
        running += owner.unit_names(places) if owner.role == "component" else [name]
    host.systemd.stop(running)
    for name in running:
        _wanted_by(places, name)  # removes the link
    for name in names:
        places.unit_path(name).unlink(missing_ok=True)
    host.systemd.daemon_reload()
    host.systemd.reset_failed(running)
    places.env_file(component).unlink(missing_ok=True)  # secrets do not outlive their unit
    shutil.rmtree(places.configs(component), ignore_errors=True)


def _write_files(places: Places, component: str, spec: dict[str, Any], launch: Launch) -> None:
    places.run.mkdir(parents=True, exist_ok=True, mode=0o755)
    atomic_write(places.env_file(component), env_file(launch.env).encode(), mode=0o600)
    tree = RootDir(Path(launch.root))
    with contextlib.closing(tree):
        _mount_point(tree, "/etc/hosts", directory=False)
        _write_configs(places, component, spec["configs"], tree)
        for mount in spec["volumes"]:
            _volume(places, mount, Path(launch.root), tree)
            _mount_point(tree, mount["path"], directory=True)


def write_hosts(places: Places, names: list[str]) -> None:
    """Every component's name -> 127.0.0.1, in the one hosts file every unit bind-mounts.
    Rewritten in place (the same inode): running components see new names at once."""
    text = "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
    text += "".join(f"127.0.0.1\t{name}\n" for name in sorted(names))
    places.run.mkdir(parents=True, exist_ok=True, mode=0o755)
    with open(places.hosts, "a+b") as hosts:
        hosts.seek(0)
        if hosts.read() != text.encode():
            hosts.seek(0)
            hosts.truncate()
            hosts.write(text.encode())


def _write_configs(
    places: Places, component: str, configs: list[dict[str, Any]], tree: RootDir
) -> None:
    directory = places.configs(component)
    directory.mkdir(parents=True, exist_ok=True, mode=0o755)
    for i, config in enumerate(configs):
        path = directory / str(i)
        atomic_write(path, str(config["content"]).encode(), mode=int(str(config["mode"]), 8))
        os.chown(path, int(config.get("uid", 0)), int(config.get("gid", 0)))
        _mount_point(tree, config["path"], directory=False)


def _volume(places: Places, mount: dict[str, Any], root: Path, tree: RootDir) -> None:
    """The volume's directory; a new one starts with what the image has at the mount path
    (as a new Docker volume does), owners and modes kept."""
    volume = places.volume(mount["name"])
    if not volume.exists():
        places.volumes.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = volume.with_name(f".{volume.name}.partial")
        subprocess.run(["rm", "-rf", str(partial)], check=True)
        partial.mkdir(mode=0o755)
        seed = _inside(root, tree, mount["path"]) if "subpath" not in mount else None
        if seed is not None and seed.is_dir() and not seed.is_symlink():
            _copy_tree(seed, partial)
        partial.rename(volume)
    if "subpath" in mount:
        (volume / mount["subpath"]).mkdir(parents=True, exist_ok=True)


def _inside(root: Path, tree: RootDir, path: str) -> Path | None:
    try:
        parts = tree.resolve(path)
    except Exception:  # a path the root refuses to resolve seeds nothing
        return None
    return root.joinpath(*parts)


def _copy_tree(source: Path, dest: Path) -> None:
    done = subprocess.run(
        ["cp", "-a", "--no-dereference", f"{source}/.", f"{dest}/"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemdError(
            f"copying the image's {source.name} into a new volume failed: {done.stderr.strip()}"
        )
    stat = source.stat()
    os.chown(dest, stat.st_uid, stat.st_gid)
    os.chmod(dest, stat.st_mode & 0o7777)


def _mount_point(tree: RootDir, path: str, directory: bool) -> None:
    """Make sure the root has something to mount onto at `path` (never outside it)."""
    parts = tuple(p for p in split_inside(path) if p not in ("", "."))
    if not parts or tree.lstat(parts) is not None:
        return
    if directory:
        tree.dir_fd(parts, create=True)
        return
    parent = tree.dir_fd(parts[:-1], create=True)
    assert parent is not None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    with contextlib.suppress(FileExistsError):
        os.close(os.open(parts[-1], flags, 0o644, dir_fd=parent))


def _verify(systemd: Systemd, root: Path, units: dict[str, str]) -> None:
    """systemd-analyze verify each unit, placed for that inside its root directory (through
    descriptors: a symlink of the image cannot send it elsewhere)."""
    tree = RootDir(root)
    with contextlib.closing(tree):
        directory = tree.dir_fd(VERIFY_DIR, create=True)
        assert directory is not None
        for name, text in units.items():
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, 0o644, dir_fd=directory)
            with os.fdopen(fd, "w") as placed:
                placed.write(for_verify(text))
            try:
                systemd.verify(root, name.replace("@.", "@1."), for_verify(text))
            finally:
                os.unlink(name, dir_fd=directory)
