"""Where an app version of the market came from and what its signature said: published
here, or imported from a bundle that was signed by a trusted key, carried no signature,
or carried one that no trusted key could check.

The record lives in the annotations of the version's own entry in index.json (beside its
ref name), not in the app index: the version's digest stays what the vendor made, the
record goes when the version is removed (its entry goes), `store gc` never touches it (gc
deletes blobs, not entries), and a differential import names only its new versions. A
store written before the record existed has none: its versions read as "unknown".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sealift.formats import utc_timestamp

KIND = "dev.sealift.origin"  # published | imported
FILE = "dev.sealift.origin.file"  # the bundle's file name
AT = "dev.sealift.origin.at"  # when it was recorded (RFC 3339 UTC)
SIGNATURE = "dev.sealift.origin.signature"  # signed | unsigned | not-verified
KEY = "dev.sealift.origin.key"  # fingerprint of the key that verified the signature
KEY_NAME = "dev.sealift.origin.key-name"  # its file's name, without .pub
KEYS = (KIND, FILE, AT, SIGNATURE, KEY, KEY_NAME)

PUBLISHED, IMPORTED, UNKNOWN = "published", "imported", "unknown"
SIGNED, UNSIGNED, NOT_VERIFIED = "signed", "unsigned", "not-verified"


@dataclass(frozen=True)
class Origin:
    kind: str = UNKNOWN
    signature: str = ""  # for an imported version: SIGNED, UNSIGNED or NOT_VERIFIED
    key: str = ""
    key_name: str = ""
    file: str = ""
    at: str = ""

    @classmethod
    def published(cls) -> Origin:
        return cls(PUBLISHED, at=utc_timestamp())

    @classmethod
    def imported(cls, file: str, signature: str, key: str = "", key_name: str = "") -> Origin:
        return cls(IMPORTED, signature, key, key_name, file, utc_timestamp())

    @property
    def status(self) -> str:
        """One word: signed, unsigned, not-verified, published or unknown."""
        return self.signature if self.kind == IMPORTED else self.kind

    def text(self) -> str:
        """What a person reads: "signed by vendor" (the name of the key's file), ..."""
        if self.status == SIGNED:
            return f"signed by {self.key_name or 'key ' + self.key[:19] + '...'}"
        if self.status == NOT_VERIFIED:
            return "not verified (no trusted key)"
        return {UNSIGNED: "unsigned", PUBLISHED: "published here"}.get(self.status, "unknown")

    def outranks(self, other: Origin) -> bool:
        """Is this a stronger word on the same content than `other` (a signature checked
        where none was)? Published stays published."""
        return self.status == SIGNED and other.status not in (SIGNED, PUBLISHED)

    def annotations(self) -> dict[str, str]:
        values = (self.kind, self.file, self.at, self.signature, self.key, self.key_name)
        return {k: v for k, v in zip(KEYS, values) if v}

    @classmethod
    def from_annotations(cls, notes: Mapping[str, str]) -> Origin:
        kind = notes.get(KIND, UNKNOWN)
        if kind not in (PUBLISHED, IMPORTED):
            return cls()
        return cls(*(notes.get(k, "") for k in (KIND, SIGNATURE, KEY, KEY_NAME, FILE, AT)))

    def to_json(self) -> dict[str, str]:
        return {
            "status": self.status,
            "text": self.text(),
            "from": self.kind,
            "file": self.file,
            "key": self.key,
            "key_name": self.key_name,
            "at": self.at,
        }


def without_origin(notes: Mapping[str, str]) -> dict[str, str]:
    """Annotations of an index.json entry with the record taken out."""
    return {k: v for k, v in notes.items() if k not in KEYS}


__all__ = ["NOT_VERIFIED", "SIGNED", "UNSIGNED", "Origin"]
