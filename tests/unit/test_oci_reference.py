from __future__ import annotations

from pathlib import Path

import pytest

from sealift.errors import ImageSourceError
from sealift.oci.reference import LayoutReference, parse_reference, parse_source


@pytest.mark.parametrize(
    ("text", "domain", "path", "tag", "api"),
    [
        ("busybox", "docker.io", "library/busybox", "latest", "registry-1.docker.io"),
        ("shop/web:2", "docker.io", "shop/web", "2", "registry-1.docker.io"),
        (
            "index.docker.io/library/redis:7",
            "docker.io",
            "library/redis",
            "7",
            "registry-1.docker.io",
        ),
        (
            "registry.example.com/shop/web:1.0.0",
            "registry.example.com",
            "shop/web",
            "1.0.0",
            "registry.example.com",
        ),
        ("127.0.0.1:5000/a/b:t", "127.0.0.1:5000", "a/b", "t", "127.0.0.1:5000"),
        ("localhost/x", "localhost", "x", "latest", "localhost"),
        ("[::1]:5000/x:1", "[::1]:5000", "x", "1", "[::1]:5000"),
    ],
)
def test_docker_references_normalize(text: str, domain: str, path: str, tag: str, api: str) -> None:
    ref = parse_reference(text)
    assert (ref.domain, ref.path, ref.tag, ref.api_host) == (domain, path, tag, api)
    assert ref.text == text


def test_digest_reference_asks_for_the_digest() -> None:
    digest = "sha256:" + "a" * 64
    ref = parse_reference(f"x@{digest}")
    assert (ref.path, ref.tag, ref.digest, ref.reference) == ("library/x", "", digest, digest)
    assert str(ref) == f"docker.io/library/x@{digest}"


@pytest.mark.parametrize("text", ["UPPER/case", "x@sha256:short", "a//b", "x:bad tag", ""])
def test_malformed_references_are_errors(text: str) -> None:
    with pytest.raises(ImageSourceError, match=r"image reference"):
        parse_reference(text)


def test_layout_references() -> None:
    assert parse_source("oci:/tmp/d:web:1") == LayoutReference("oci", Path("/tmp/d"), "web:1")
    assert parse_source("oci-archive:f.tar") == LayoutReference("oci-archive", Path("f.tar"), "")
    with pytest.raises(ImageSourceError, match=r"no path"):
        parse_source("oci:")
