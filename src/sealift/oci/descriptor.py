"""OCI content descriptors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sealift.oci.digest import check_digest


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`linux/arm64`, `linux/arm/v7` or `arm64` (linux assumed)."""
        parts = text.strip().split("/")
        if len(parts) == 1:
            parts = ["linux", *parts]
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"not a platform: {text!r} (expected os/arch[/variant])")
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(parts[1], parts[1])
        return cls(parts[0], arch, parts[2] if len(parts) == 3 else "")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        return cls(
            str(data.get("os", "")), str(data.get("architecture", "")), str(data.get("variant", ""))
        )

    def to_json(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    def matches(self, other: Platform) -> bool:
        """True if `other` satisfies this platform (an empty variant matches any)."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return not self.variant or self.variant == other.variant

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    platform: Platform | None = None
    artifact_type: str = ""

    def __post_init__(self) -> None:
        check_digest(self.digest)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Descriptor:
        platform = data.get("platform")
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=str(data.get("digest", "")),
            size=int(data.get("size", 0)),
            annotations=dict(data.get("annotations") or {}),
            platform=Platform.from_json(platform) if isinstance(platform, dict) else None,
            artifact_type=str(data.get("artifactType", "")),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def with_annotations(self, annotations: dict[str, str]) -> Descriptor:
        return Descriptor(
            self.media_type, self.digest, self.size, annotations, self.platform, self.artifact_type
        )
