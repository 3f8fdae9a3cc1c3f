"""Ed25519 signatures over `sealift-bundle.json` (which lists every blob digest).

Keys are PEM files: `PREFIX.key` (PKCS#8, owner-only) and `PREFIX.pub`. A key is
named by its fingerprint, the sha256 of its raw public bytes. `cryptography` is
imported only where a key is used: most imports carry no signature to check.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sealift.bundle import safejson
from sealift.errors import AlreadyExistsError, SealiftError, SignatureError
from sealift.formats import canonical_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

MAX_SIG = 4096
MAX_KEY = 16 * 1024


@dataclass(frozen=True)
class Signature:
    key: str  # fingerprint of the signing key
    value: bytes

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "algorithm": "ed25519",
                "key": self.key,
                "signature": base64.b64encode(self.value).decode(),
            },
            ascii_only=True,
        )


def fingerprint(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def keygen(prefix: Path) -> tuple[Path, Path]:
    """Write `PREFIX.key` and `PREFIX.pub`; refuse to overwrite."""
    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise AlreadyExistsError(f"{path} exists; choose another prefix or remove it")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(_read_key(path), password=None)
    except (ValueError, TypeError):
        raise SealiftError(
            f"{path} is not an unencrypted PEM private key (make one with `sealift keygen`)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SealiftError(f"{path} is not an Ed25519 key (make one with `sealift keygen`)")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read_key(path))
    except (ValueError, TypeError):
        raise SealiftError(
            f"{path} is not a PEM public key (`sealift keygen` makes PREFIX.pub)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise SealiftError(f"{path} is not an Ed25519 public key")
    return key


def _read_key(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(MAX_KEY)
    except OSError as exc:
        raise SealiftError(f"cannot read key {path}: {exc.strerror}") from None


def trusted_keys(trust_dir: Path) -> list[Ed25519PublicKey]:
    """Every `*.pub` in the trust directory (sorted by name)."""
    return list(named_trusted_keys(trust_dir).values())


def named_trusted_keys(trust_dir: Path) -> dict[str, Ed25519PublicKey]:
    """Every `*.pub` in the trust directory by its name without `.pub` (sorted)."""
    if not trust_dir.is_dir():
        return {}
    return {p.stem: load_public(p) for p in sorted(trust_dir.glob("*.pub"))}


def sign(data: bytes, key: Ed25519PrivateKey) -> Signature:
    return Signature(fingerprint(key.public_key()), key.sign(data))


def parse_signature(raw: bytes) -> Signature:
    doc = safejson.load_object(raw, "sealift-bundle.json.sig", max_size=MAX_SIG)
    if doc.get("algorithm") != "ed25519" or set(doc) != {"algorithm", "key", "signature"}:
        raise SignatureError("sealift-bundle.json.sig is not an Ed25519 signature")
    try:
        value = base64.b64decode(str(doc["signature"]), validate=True)
    except ValueError:
        raise SignatureError(
            "sealift-bundle.json.sig is corrupt; copy the bundle again from the original, "
            "or ask its vendor to export it again"
        ) from None
    return Signature(str(doc["key"]), value)


def verify(
    data: bytes, signature: Signature | None, keys: list[Ed25519PublicKey], source: str
) -> str:
    """Check `data` against any of `keys`; return the fingerprint of the key that signed."""
    from cryptography.exceptions import InvalidSignature

    if signature is None:
        raise SignatureError(
            f"the bundle is not signed but {source} requires a signature; "
            "ask for a bundle exported with --sign"
        )
    for key in keys:
        try:
            key.verify(signature.value, data)
        except InvalidSignature:
            continue
        return fingerprint(key)
    if any(fingerprint(k) == signature.key for k in keys):
        raise SignatureError("bad signature: sealift-bundle.json was changed after signing")
    raise SignatureError(
        f"the bundle is signed by another key ({signature.key[:19]}...) than {source} trusts"
    )


__all__ = ["keygen", "load_private", "load_public"]
