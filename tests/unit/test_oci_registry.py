"""The registry door against an in-memory registry (httpx.MockTransport): bearer tokens,
error translation, Docker manifests rewritten with OCI media types."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx
import pytest

from sealift.errors import AuthError, NotFoundError, RegistryError
from sealift.oci import media
from sealift.oci.layout import Layout
from sealift.oci.reference import parse_reference
from sealift.oci.registry import is_plain_http
from sealift.oci.registrysource import copy_from_registry
from sealift.progress import NO_PROGRESS

CONFIG = json.dumps({"os": "linux", "architecture": "arm64", "rootfs": {}}).encode()
LAYER = b"layer bytes"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": media.DOCKER_MANIFEST,
        "config": {"mediaType": media.DOCKER_CONFIG, "digest": digest(CONFIG), "size": len(CONFIG)},
        "layers": [
            {"mediaType": media.DOCKER_LAYER_GZIP, "digest": digest(LAYER), "size": len(LAYER)}
        ],
    }
).encode()
BLOBS = {digest(CONFIG): CONFIG, digest(LAYER): LAYER}


def fake_registry(seen: list[str]) -> httpx.MockTransport:
    """Bearer auth whose token service takes `me:pw`."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.host == "auth.example.com":
            if (
                request.headers.get("authorization")
                != "Basic " + base64.b64encode(b"me:pw").decode()
            ):
                return httpx.Response(401)
            assert request.url.params["scope"] == "repository:shop/web:pull"
            return httpx.Response(200, json={"token": "T"})
        if request.headers.get("authorization") != "Bearer T":
            return httpx.Response(
                401,
                headers={
                    "www-authenticate": (
                        'Bearer realm="https://auth.example.com/token",service="reg"'
                    )
                },
            )
        path = request.url.path
        if path == "/v2/shop/web/manifests/1":
            return httpx.Response(
                200, content=MANIFEST, headers={"content-type": media.DOCKER_MANIFEST}
            )
        name = path.rsplit("/", 1)[-1]
        if "/blobs/" in path and name in BLOBS:
            return httpx.Response(200, content=BLOBS[name])
        return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})

    return httpx.MockTransport(handle)


def docker_config(tmp_path: Path, password: str = "pw") -> Path:
    auth = base64.b64encode(f"me:{password}".encode()).decode()
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"reg.example.com": {"auth": auth}}})
    )
    return tmp_path / "config.json"


def test_bearer_token_flow_and_oci_rewrite(tmp_path: Path) -> None:
    seen: list[str] = []
    layout = Layout.create(tmp_path / "store")
    copied = copy_from_registry(
        layout,
        parse_reference("reg.example.com/shop/web:1"),
        platforms=(),
        insecure=(),
        docker_config=docker_config(tmp_path),
        progress=NO_PROGRESS,
        transport=fake_registry(seen),
    )
    assert seen[0] == "GET https://reg.example.com/v2/shop/web/manifests/1"
    assert any(s.startswith("GET https://auth.example.com/token") for s in seen)
    assert copied.descriptor.media_type == media.OCI_MANIFEST
    doc = layout.read_json(copied.descriptor.digest)
    assert doc["config"]["mediaType"] == media.OCI_CONFIG
    assert doc["layers"][0] == {
        "mediaType": media.OCI_LAYER_GZIP,
        "digest": digest(LAYER),
        "size": len(LAYER),
    }
    assert str(copied.platforms[0]) == "linux/arm64"
    assert layout.has_blob(digest(LAYER))


def test_refused_token_is_an_auth_error(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match=r"token service of reg.example.com refused"):
        copy_from_registry(
            Layout.create(tmp_path / "s"),
            parse_reference("reg.example.com/shop/web:1"),
            platforms=(),
            insecure=(),
            docker_config=docker_config(tmp_path, "wrong"),
            progress=NO_PROGRESS,
            transport=fake_registry([]),
        )


def test_unknown_tag_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(
        NotFoundError,
        match=r"shop/web:2: reg.example.com answered 404 "
        r"MANIFEST_UNKNOWN \(manifest not found\)",
    ):
        copy_from_registry(
            Layout.create(tmp_path / "s"),
            parse_reference("reg.example.com/shop/web:2"),
            platforms=(),
            insecure=(),
            docker_config=docker_config(tmp_path),
            progress=NO_PROGRESS,
            transport=fake_registry([]),
        )


def test_network_errors_are_translated_at_the_door(tmp_path: Path) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(RegistryError, match=r"registry reg.example.com timed out"):
        copy_from_registry(
            Layout.create(tmp_path),
            parse_reference("reg.example.com/a:1"),
            platforms=(),
            insecure=(),
            docker_config=None,
            progress=NO_PROGRESS,
            transport=httpx.MockTransport(timeout),
        )


@pytest.mark.parametrize(
    ("host", "insecure", "plain"),
    [
        ("127.0.0.1:5000", (), True),
        ("localhost:80", (), True),
        ("[::1]:5000", (), True),
        ("127.3.2.1", (), True),
        ("reg.lan:5000", ("reg.lan:5000",), True),
        ("reg.lan:5000", ("reg.lan",), True),
        ("reg.lan:5000", (), False),
        ("10.0.0.1:5000", (), False),
    ],
)
def test_plain_http_only_for_loopback_and_insecure(
    host: str, insecure: tuple[str, ...], plain: bool
) -> None:
    assert is_plain_http(host, insecure) is plain
