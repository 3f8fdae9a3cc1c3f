"""How a component's process starts, as the Docker engine would start it from the same
image: the entrypoint and command (the model's, else the image's; a new entrypoint drops the
image's command), the image's environment under the model's, the working directory, and the
user as numeric ids looked up in the root directory's /etc/passwd and /etc/group. A command
named without a path is found on PATH inside the root directory, so ExecStart= names it."""

from __future__ import annotations

import contextlib
import posixpath
import stat
from pathlib import Path
from typing import Any

from sealift.errors import DeployError
from sealift.targets.systemd.imageconfig import Account, RootImage, resolve_user
from sealift.targets.systemd.rootdir import RootDir
from sealift.targets.systemd.units import Launch

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def launch_of(component: str, spec: dict[str, Any], image: RootImage, root: Path) -> Launch:
    working_dir = spec["working_dir"] or image.working_dir or "/"
    argv = _argv(component, spec, image)
    tree = RootDir(root)
    with contextlib.closing(tree):
        account = Account(image.uid, image.gid, image.home)
        if spec["user"]:
            account = resolve_user(tree, spec["user"], f"of component {component}")
        env = {"PATH": DEFAULT_PATH, "HOME": account.home, **image.env, **spec["env"]}
        argv[0] = find_executable(tree, argv[0], env["PATH"], working_dir, component)
    return Launch(str(root), argv, env, working_dir, account.uid, account.gid)


def _argv(component: str, spec: dict[str, Any], image: RootImage) -> list[str]:
    entrypoint = spec["entrypoint"] if spec["entrypoint"] is not None else image.entrypoint
    if spec["command"] is not None:
        command = spec["command"]
    else:
        command = image.cmd if spec["entrypoint"] is None else []
    argv = [*entrypoint, *command]
    if not argv:
        raise DeployError(
            f"component {component} has no command: its image sets none; give it `command`"
        )
    return [str(a) for a in argv]


def find_executable(tree: RootDir, name: str, path: str, working_dir: str, component: str) -> str:
    """`name` as an absolute path inside the root (searched on `path` if it has no '/')."""
    if "/" in name:
        found = posixpath.normpath(posixpath.join(working_dir, name))
        if _is_file(tree, found):
            return found
        raise DeployError(
            f"component {component}: its command {found} is not a file in its image; "
            "check `command`/`entrypoint` of the component"
        )
    for directory in path.split(":"):
        candidate = posixpath.join(directory or working_dir, name)
        if _is_file(tree, candidate):
            return candidate
    raise DeployError(
        f"component {component}: its command {name!r} is not on its PATH ({path}) in its "
        "image; name it with its full path in `command`/`entrypoint`"
    )


def _is_file(tree: RootDir, path: str) -> bool:
    try:
        found = tree.lstat(tree.resolve(path))
    except Exception:  # a path the root refuses to resolve (loops, escapes) is no command
        return False
    return found is not None and stat.S_ISREG(found.st_mode)
