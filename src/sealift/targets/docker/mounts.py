"""Volume mounts of a container: whole volumes, volume subdirectories (`subpath`), read-only
mounts, and config files of a container whose root filesystem is read-only.

The Docker Engine 20.10 (API 1.41) cannot mount a subdirectory of a volume: the Subpath
mount option came with API 1.45. So a subpath is mounted as a bind of the directory inside
the volume, `<Mountpoint of the volume>/<subpath>`, which the engine resolves on its own
host (so this works with a remote engine too). Only volumes of the `local` driver have such
a directory; any other driver is refused with a clear message. The subdirectory is created
when missing, through a helper container that is created (never started) with the volume
mounted, by the engine's archive API: no tool of the image is needed. Every existing part of
the subpath is checked first to be a directory and not a symbolic link, so that a link
written into the volume by an app cannot make the bind point anywhere on the host.

The engine refuses to copy files into a container whose root filesystem is read-only, so
the configs of such a component go into a volume of their own, `<container>.configs` (a
name no model volume can have), written the same way, and each file is bind-mounted
read-only at its path.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
from pathlib import PurePosixPath
from typing import Any

import docker
import docker.errors

from sealift.errors import DeployError
from sealift.oci.engine import engine_errors
from sealift.targets.docker import labels as L

HELPER_MOUNT = "/sealift-volume"
_DIR = 1 << 31  # Go's os.ModeDir, as the archive API reports a path's mode
_SYMLINK = 1 << 27


def binds(client: docker.DockerClient, spec: dict[str, Any], image_id: str) -> list[str]:
    """The `source:target:mode` binds of every mount of `spec`, subdirectories prepared."""
    found = []
    for mount in spec["volumes"]:
        source = mount["name"]
        if mount.get("subpath"):
            ensure_directory(client, image_id, mount["name"], mount["subpath"], spec["user"])
            source = f"{mountpoint(client, mount['name'])}/{mount['subpath']}"
        found.append(f"{source}:{mount['path']}:{'ro' if mount.get('read_only') else 'rw'}")
    return found


def mountpoint(client: docker.DockerClient, volume: str) -> str:
    with engine_errors(f"inspecting volume {volume}"):
        attrs = client.volumes.get(volume).attrs
    if attrs.get("Driver") != "local" or not attrs.get("Mountpoint"):
        raise DeployError(
            f"volume {volume} uses the {attrs.get('Driver')!r} driver: a subpath or a config "
            "of a read-only component needs a volume of the local driver; remove the volume "
            "(`docker volume rm`) to let sealift create it"
        )
    return str(attrs["Mountpoint"])


def ensure_directory(
    client: docker.DockerClient, image_id: str, volume: str, subpath: str, user: str | None
) -> None:
    """Create `subpath` in `volume` when missing (owned by `user` when it is numeric)."""
    with _Helper(client, image_id, volume) as helper:
        missing = _missing_parts(client, helper, subpath)
        if missing:
            owner = _numeric_owner(user)
            entries = [_dir_entry(part, owner) for part in missing]
            _put(client, helper, entries, f"creating {subpath} in volume {volume}")


def write_files(
    client: docker.DockerClient, image_id: str, volume: str, configs: list[dict[str, Any]]
) -> None:
    """Write the config files into `volume`, at their paths relative to its root."""
    with _Helper(client, image_id, volume) as helper:
        _put(client, helper, [_file_entry(c) for c in configs], f"writing configs to {volume}")


def config_binds(
    client: docker.DockerClient, volume: str, configs: list[dict[str, Any]]
) -> list[str]:
    root = mountpoint(client, volume)
    return [f"{root}/{c['path'].lstrip('/')}:{c['path']}:ro" for c in configs]


def config_volume_name(instance: str, component: str) -> str:
    """'.' is in no installation, component or volume name: no model volume is named so."""
    return f"{instance}-{component}.configs"


def ensure_config_volume(client: docker.DockerClient, instance: str, name: str) -> None:
    with engine_errors(f"creating volume {name}"):
        try:
            found = client.volumes.get(name)
        except docker.errors.NotFound:
            client.volumes.create(name, labels={L.INSTALLATION: instance, L.ROLE: "configs"})
            return
    owner = (found.attrs.get("Labels") or {}).get(L.INSTALLATION)
    if owner != instance:
        raise DeployError(
            f"volume {name} belongs to {owner or 'something other than sealift'}, not to "
            f"{instance}: install under another --name"
        )


class _Helper:
    def __init__(self, client: docker.DockerClient, image_id: str, volume: str) -> None:
        self.client, self.image_id, self.volume = client, image_id, volume
        self.id = ""

    def __enter__(self) -> str:
        api = self.client.api
        with engine_errors(f"preparing volume {self.volume}"):
            created = api.create_container(
                image=self.image_id,
                command=["sealift-never-started"],
                network_disabled=True,
                labels={L.ROLE: "helper"},
                host_config=api.create_host_config(binds=[f"{self.volume}:{HELPER_MOUNT}:rw"]),
            )
        self.id = str(created["Id"])
        return self.id

    def __exit__(self, *exc: object) -> None:
        with engine_errors(f"removing the helper of volume {self.volume}"):
            self.client.api.remove_container(self.id, force=True)


def _missing_parts(client: docker.DockerClient, helper: str, subpath: str) -> list[str]:
    """The prefixes of `subpath` that do not exist yet; refuses links and non-directories."""
    parts = PurePosixPath(subpath).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for index, prefix in enumerate(prefixes):
        mode = _stat_mode(client, helper, f"{HELPER_MOUNT}/{prefix}")
        if mode is None:
            return prefixes[index:]
        if mode & _SYMLINK or not mode & _DIR:
            raise DeployError(
                f"{prefix} in the volume is {'a symbolic link' if mode & _SYMLINK else 'a file'}"
                f", not a directory: a subpath must be a directory of the volume itself"
            )
    return []


def _stat_mode(client: docker.DockerClient, container: str, path: str) -> int | None:
    """The mode of `path` in the container (HEAD of the archive API), None when missing."""
    api = client.api
    url = f"{api.base_url}/v{api.api_version}/containers/{container}/archive"
    with engine_errors(f"looking at {path}"):
        answer = api.head(url, params={"path": path})
    if answer.status_code == 404:
        return None
    header = answer.headers.get("X-Docker-Container-Path-Stat")
    if answer.status_code != 200 or not header:
        raise DeployError(f"the engine cannot tell what {path} is (HTTP {answer.status_code})")
    return int(json.loads(base64.b64decode(header))["mode"])


def _numeric_owner(user: str | None) -> tuple[int, int]:
    uid, _, gid = (user or "").partition(":")
    if not uid.isdigit():
        return 0, 0
    return int(uid), int(gid) if gid.isdigit() else int(uid)


def _dir_entry(name: str, owner: tuple[int, int]) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    info.uid, info.gid = owner
    return info, b""


def _file_entry(config: dict[str, Any]) -> tuple[tarfile.TarInfo, bytes]:
    data = str(config["content"]).encode()
    info = tarfile.TarInfo(str(PurePosixPath(config["path"])).lstrip("/"))
    info.size, info.mode = len(data), int(config["mode"], 8)
    info.uid, info.gid = int(config.get("uid") or 0), int(config.get("gid") or 0)
    return info, data


def archive(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def _put(
    client: docker.DockerClient,
    container: str,
    entries: list[tuple[tarfile.TarInfo, bytes]],
    what: str,
) -> None:
    with engine_errors(what):
        client.api.put_archive(container, HELPER_MOUNT, archive(entries))


def config_archive(configs: list[dict[str, Any]]) -> bytes:
    """Config files as a tar (paths relative to `/`) with their mode, uid and gid."""
    return archive([_file_entry(config) for config in configs])
