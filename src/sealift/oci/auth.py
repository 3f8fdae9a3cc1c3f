"""Registry credentials (`~/.docker/config.json`) and WWW-Authenticate challenges."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealift.errors import AuthError
from sealift.oci.reference import DOCKER_HUB, DOCKER_HUB_API

_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", DOCKER_HUB, DOCKER_HUB_API)
_CHALLENGE_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" | "bearer"
    params: dict[str, str]


def config_path(docker_config: Path | None = None) -> Path:
    """`docker_config` (a config.json or its directory), else $DOCKER_CONFIG, else ~/.docker."""
    if docker_config is not None:
        return docker_config / "config.json" if docker_config.is_dir() else docker_config
    directory = os.environ.get("DOCKER_CONFIG")
    base = Path(directory) if directory else Path.home() / ".docker"
    return base / "config.json"


def find_credentials(host: str, docker_config: Path | None = None) -> Credentials | None:
    """Credentials stored for registry `host` (host[:port]) in the docker config, if any."""
    path = config_path(docker_config)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AuthError(f"cannot read registry credentials from {path}: {exc}") from None
    auths = doc.get("auths") if isinstance(doc, dict) else None
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if _key_host(key) in _host_aliases(host) and isinstance(entry, dict):
            return _entry_credentials(entry, path, key)
    return None


def _host_aliases(host: str) -> set[str]:
    if host in (DOCKER_HUB, DOCKER_HUB_API, "index.docker.io"):
        return {_key_host(k) for k in _HUB_KEYS}
    return {host}


def _key_host(key: str) -> str:
    """`https://host:5000/v2/` -> `host:5000`."""
    key = re.sub(r"^https?://", "", key)
    return key.split("/", 1)[0]


def _entry_credentials(entry: dict[str, Any], path: Path, key: str) -> Credentials | None:
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError(
                f"{path}: the auth of {key} is not base64 user:password; run `docker login` again"
            ) from None
        user, sep, password = decoded.partition(":")
        if not sep:
            raise AuthError(f"{path}: the auth of {key} has no ':'; run `docker login` again")
        return Credentials(user, password)
    if entry.get("username"):
        return Credentials(str(entry["username"]), str(entry.get("password", "")))
    return None


def parse_challenge(header: str) -> Challenge | None:
    """`Bearer realm="https://auth",service="reg",scope="repository:a:pull"` -> Challenge."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() not in ("basic", "bearer"):
        return None
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _CHALLENGE_PARAM.finditer(rest)
    }
    return Challenge(scheme.lower(), params)
