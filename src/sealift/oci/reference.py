"""Image references: `busybox`, `registry.example.com/shop/web:1.0.0`, `x@sha256:...`,
and the `oci:DIR:REF` / `oci-archive:FILE:REF` forms.

Docker's normalization applies: a first path component without `.` or `:` (and not
`localhost`) is not a registry, so `busybox` is `docker.io/library/busybox:latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import ImageSourceError
from sealift.oci.digest import is_digest

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API})

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DOMAIN = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+)(?::[0-9]+)?$")


@dataclass(frozen=True)
class ImageReference:
    """A normalized docker reference; `text` is what the user wrote."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""
    text: str = ""

    @property
    def api_host(self) -> str:
        """The host (and port) that serves the distribution API."""
        return DOCKER_HUB_API if self.domain == DOCKER_HUB else self.domain

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


@dataclass(frozen=True)
class LayoutReference:
    """`oci:DIR:REF` (a directory) or `oci-archive:FILE:REF` (a tar of one)."""

    transport: str  # "oci" | "oci-archive"
    path: Path
    ref: str  # a ref name in index.json, a digest, or "" (the only entry)

    def __str__(self) -> str:
        return f"{self.transport}:{self.path}" + (f":{self.ref}" if self.ref else "")


def parse_reference(text: str) -> ImageReference:
    """Parse and normalize a docker reference; raise ImageSourceError if malformed."""
    rest, digest = _split_digest(text)
    domain, remainder = _split_domain(rest)
    path, tag = _split_tag(remainder)
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if not _PATH.match(path) or not _DOMAIN.match(domain) or (tag and not _TAG.match(tag)):
        raise _bad(text)
    if not tag and not digest:
        tag = "latest"
    return ImageReference(domain, path, tag, digest, text)


def parse_source(text: str) -> ImageReference | LayoutReference:
    """A docker reference or an `oci:` / `oci-archive:` one."""
    for transport in ("oci-archive", "oci"):
        if text.startswith(transport + ":"):
            return _parse_layout_reference(transport, text[len(transport) + 1 :])
    return parse_reference(text)


def _parse_layout_reference(transport: str, body: str) -> LayoutReference:
    path, sep, ref = body.partition(":")
    if not path:
        raise ImageSourceError(f"{transport}:{body}: no path given; use {transport}:PATH:REF")
    return LayoutReference(transport, Path(path), ref if sep else "")


def _split_digest(text: str) -> tuple[str, str]:
    name, sep, digest = text.partition("@")
    if sep and not is_digest(digest):
        raise ImageSourceError(f"{text!r} is not an image reference: bad digest {digest!r}")
    return name, digest


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, remainder = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        domain = DOCKER_HUB if first in _HUB_ALIASES else first
        return domain, remainder
    return DOCKER_HUB, name


def _split_tag(remainder: str) -> tuple[str, str]:
    last_slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > last_slash:
        return remainder[:colon], remainder[colon + 1 :]
    return remainder, ""


def _bad(text: str) -> ImageSourceError:
    return ImageSourceError(
        f"{text!r} is not an image reference (expected [registry/]path[:tag][@sha256:...])"
    )
