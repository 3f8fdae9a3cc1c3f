"""What a unit needs from an image's config, with the user resolved to numeric ids from
the flattened root's own /etc/passwd and /etc/group (as the Docker engine resolves it:
systemd would look names up on the host, where they mean someone else or no one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sealift.errors import NotFoundError, UnsafeImageError
from sealift.targets.systemd.rootdir import Refused, RootDir

MAX_ACCOUNTS_FILE = 4 * 1024 * 1024


@dataclass(frozen=True)
class RootImage:
    """An image config's process settings, for a root directory it was flattened into."""

    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    working_dir: str
    user: str
    """The image's User as written ("" is root)."""
    uid: int
    gid: int
    home: str
    """The user's home directory from /etc/passwd ("/" when it has none)."""
    exposed_ports: list[str]
    stop_signal: str
    warnings: list[str] = field(default_factory=list)
    """Entries left out when flattening (device nodes, extended attributes), one line each."""


@dataclass(frozen=True)
class Account:
    uid: int
    gid: int
    home: str


def root_image(config: Any, tree: RootDir, image: str, warnings: list[str]) -> RootImage:
    """The RootImage of an image config document for the root directory `tree`."""
    settings = config.get("config") if isinstance(config, dict) else None
    settings = settings if isinstance(settings, dict) else {}
    user = str(settings.get("User") or "")
    account = resolve_user(tree, user, image)
    return RootImage(
        entrypoint=_strings(settings.get("Entrypoint")),
        cmd=_strings(settings.get("Cmd")),
        env=parse_env(_strings(settings.get("Env"))),
        working_dir=str(settings.get("WorkingDir") or "/"),
        user=user,
        uid=account.uid,
        gid=account.gid,
        home=account.home,
        exposed_ports=sorted(str(p) for p in settings.get("ExposedPorts") or {}),
        stop_signal=str(settings.get("StopSignal") or ""),
        warnings=warnings,
    )


def parse_env(lines: list[str]) -> dict[str, str]:
    """`["A=1", "B=x=y", "C"]` -> {"A": "1", "B": "x=y", "C": ""}."""
    pairs = (line.partition("=") for line in lines)
    return {name: value for name, _, value in pairs if name}


def resolve_user(tree: RootDir, user: str, image: str) -> Account:
    """`name`, `uid`, `name:group`, `uid:gid` -> numeric ids; a numeric id not in the
    files is used as is (group 0 by default), a name not in them is an error."""
    name, _, group = user.partition(":")
    found = _find(_accounts(tree, "/etc/passwd", image), name or "0", id_field=2)
    if found is None and not name.isdigit() and name:
        raise NotFoundError(
            f"image {image}: user {name!r} is not in its /etc/passwd; "
            "ask the image's vendor to add it, or to set a numeric User"
        )
    account = _account(found, int(name) if name.isdigit() else 0)
    if not group:
        return account
    return Account(account.uid, _group_id(tree, group, image), account.home)


def _account(fields: list[str] | None, uid: int) -> Account:
    if fields is None or len(fields) < 4:
        return Account(uid, 0, "/")
    return Account(_number(fields[2]), _number(fields[3]), fields[5] if len(fields) > 5 else "/")


def _group_id(tree: RootDir, group: str, image: str) -> int:
    if group.isdigit():
        return int(group)
    found = _find(_accounts(tree, "/etc/group", image), group, id_field=2)
    if found is None:
        raise NotFoundError(
            f"image {image}: group {group!r} is not in its /etc/group; "
            "ask the image's vendor to add it, or to set a numeric group"
        )
    return _number(found[2])


def _find(rows: list[list[str]], key: str, id_field: int) -> list[str] | None:
    """The row whose name (or, for a number, whose id) is `key`."""
    column = id_field if key.isdigit() else 0
    return next((row for row in rows if len(row) > column and row[column] == key), None)


def _accounts(tree: RootDir, path: str, image: str) -> list[list[str]]:
    try:
        data = tree.read(path, MAX_ACCOUNTS_FILE)
    except Refused as exc:
        raise UnsafeImageError(f"image {image}: {path} cannot be read: {exc}") from None
    text = (data or b"").decode("utf-8", "replace")
    rows = (line.split(":") for line in text.splitlines())
    return [row for row in rows if row and row[0] and not row[0].startswith("#")]


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
