"""sha256 digests: parsing, hashing streams."""

from __future__ import annotations

import hashlib
import re

from sealift.errors import StoreError

_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def check_digest(digest: str) -> str:
    """Return `digest` if it is a well-formed sha256 digest, else raise."""
    if not _DIGEST.match(digest):
        raise StoreError(f"not a sha256 digest: {digest[:80]!r}")
    return digest


def is_digest(text: str) -> bool:
    return bool(_DIGEST.match(text))


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hex_part(digest: str) -> str:
    return check_digest(digest).split(":", 1)[1]
