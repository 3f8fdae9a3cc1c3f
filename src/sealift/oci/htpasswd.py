"""Basic authentication against an htpasswd file of bcrypt entries (`htpasswd -B`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from pathlib import Path

import bcrypt

from sealift.errors import UsageError

_BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
_CACHE_LIMIT = 1024


class Htpasswd:
    """The users of an htpasswd file; remembers (a hash of) passwords that matched, so
    a pull of many blobs pays bcrypt's deliberate slowness once per client."""

    def __init__(self, users: dict[str, bytes]) -> None:
        self._users = users
        self._good: dict[tuple[str, bytes], bytes] = {}

    @classmethod
    def load(cls, path: Path) -> Htpasswd:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the htpasswd file {path}: {exc}") from None
        users = dict(_entry(line, path, number) for number, line in _lines(text))
        if not users:
            raise UsageError(f"{path} names no user; add one with `htpasswd -B {path} USER`")
        return cls(users)

    def check(self, authorization: str) -> str | None:
        """The user an `Authorization: Basic ...` header proves, else None."""
        pair = _basic_pair(authorization)
        if pair is None:
            return None
        user, password = pair
        hashed = self._users.get(user)
        if hashed is None:
            return None
        key = (user, hashlib.sha256(password).digest())
        if hmac.compare_digest(self._good.get(key, b""), hashed):
            return user
        if not bcrypt.checkpw(password, hashed):
            return None
        if len(self._good) >= _CACHE_LIMIT:
            self._good.clear()
        self._good[key] = hashed
        return user


def _lines(text: str) -> list[tuple[int, str]]:
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _entry(line: str, path: Path, number: int) -> tuple[str, bytes]:
    user, sep, hashed = line.partition(":")
    if not sep or not user:
        raise UsageError(f"{path}:{number} is not USER:HASH")
    if not hashed.startswith(_BCRYPT_PREFIXES):
        raise UsageError(
            f"{path}:{number}: the password of {user!r} is not a bcrypt hash; "
            f"write it with `htpasswd -B {path} {user}`"
        )
    return user, hashed.encode("ascii", "replace")


def _basic_pair(authorization: str) -> tuple[str, bytes] | None:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    return user.decode("utf-8", "replace"), password
