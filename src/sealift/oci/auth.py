"""Registry credentials (`~/.docker/config.json`: credential helpers, then `auths`) and
WWW-Authenticate challenges."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealift.errors import AuthError
from sealift.oci.reference import DOCKER_HUB, DOCKER_HUB_API

_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", DOCKER_HUB, DOCKER_HUB_API)
_HELPER_TIMEOUT = 60
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
    """Credentials stored for registry `host` (host[:port]) in the docker config, if any:
    from its credential helper (`credHelpers`, then `credsStore`) as `docker` would ask
    it, else from `auths`."""
    path = config_path(docker_config)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AuthError(f"cannot read registry credentials from {path}: {exc}") from None
    if not isinstance(doc, dict):
        return None
    helper = _helper_for(doc, host)
    if helper:
        found = helper_credentials(helper, host, path)
        if found is not None:
            return found
    auths = doc.get("auths")
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if _key_host(key) in _host_aliases(host) and isinstance(entry, dict):
            return _entry_credentials(entry, path, key)
    return None


def _helper_for(doc: dict[str, Any], host: str) -> str | None:
    helpers = doc.get("credHelpers")
    if isinstance(helpers, dict):
        for key, name in helpers.items():
            if _key_host(key) in _host_aliases(host) and isinstance(name, str) and name:
                return name
    store = doc.get("credsStore")
    return store if isinstance(store, str) and store else None


def helper_credentials(name: str, host: str, config: Path) -> Credentials | None:
    """Ask `docker-credential-NAME get` (the docker credential-helper protocol)."""
    program = f"docker-credential-{name}"
    executable = shutil.which(program)
    if executable is None:
        raise AuthError(
            f"{config} asks credential helper {program} for {host}, but it is not on PATH; "
            "install it, or log in with a config that stores the password"
        )
    server = "https://index.docker.io/v1/" if host in _hub_hosts() else host
    try:
        proc = subprocess.run(
            [executable, "get"],
            input=server,
            capture_output=True,
            text=True,
            timeout=_HELPER_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise AuthError(f"{program} did not answer for {host} within {_HELPER_TIMEOUT} s") from None
    except OSError as exc:
        raise AuthError(f"{program} cannot be run for {host}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        said = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
        if said and "credentials not found" in said[-1].lower():
            return None
        raise AuthError(
            f"{program} failed for {host}: {said[-1] if said else f'exit {proc.returncode}'}"
        )
    return _helper_answer(proc.stdout, program, host)


def _helper_answer(text: str, program: str, host: str) -> Credentials:
    try:
        answer = json.loads(text)
        user, secret = str(answer["Username"]), str(answer["Secret"])
    except (ValueError, TypeError, KeyError):
        raise AuthError(f"{program} gave no Username and Secret for {host}") from None
    if user == "<token>":
        raise AuthError(
            f"{program} holds an identity token for {host}, which sealift cannot use; "
            "log in with a username and password or an access token"
        )
    return Credentials(user, secret)


def _hub_hosts() -> set[str]:
    return {DOCKER_HUB, DOCKER_HUB_API, "index.docker.io"}


def _host_aliases(host: str) -> set[str]:
    if host in _hub_hosts():
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
