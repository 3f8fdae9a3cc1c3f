"""The registry writer against an in-memory registry with a token service
(httpx.MockTransport): push scope, mounts, streamed uploads, manifests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx

from sealift.oci.digest import digest_bytes
from sealift.oci.reference import parse_reference
from sealift.oci.registrywrite import RegistryWriter

BLOB = b"x" * 3_000_000


class TokenRegistry:
    """Bearer auth (token service takes `me:pw`); one blob is in repository `shop/base`."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, bytes] = {}
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            assert (
                request.headers["authorization"] == "Basic " + base64.b64encode(b"me:pw").decode()
            )
            self.scopes.append(request.url.params["scope"])
            return httpx.Response(200, json={"token": "T"})
        if request.headers.get("authorization") != "Bearer T":
            challenge = 'Bearer realm="https://auth.example.com/token",service="reg"'
            return httpx.Response(401, headers={"www-authenticate": challenge})
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if request.method == "HEAD" and "/blobs/" in path:
            return httpx.Response(200 if path.rsplit("/", 1)[1] in self.blobs else 404)
        if request.method == "POST":
            if params.get("mount") in self.blobs and params.get("from") == "shop/base":
                return httpx.Response(201)
            return httpx.Response(202, headers={"location": "/v2/shop/web/blobs/uploads/u1?s=1"})
        if request.method == "PUT" and "/blobs/uploads/u1" in path:
            body = request.read()
            assert int(request.headers["content-length"]) == len(body)
            assert digest_bytes(body) == params["digest"] and params["s"] == "1"
            self.blobs[params["digest"]] = body
            return httpx.Response(201)
        if request.method == "PUT" and "/manifests/" in path:
            self.manifests[path.rsplit("/", 1)[1]] = request.read()
            return httpx.Response(201)
        if request.method == "HEAD" and "/manifests/" in path:
            return httpx.Response(404)
        return httpx.Response(500)


def writer(registry: TokenRegistry, tmp_path: Path) -> RegistryWriter:
    config = tmp_path / "config.json"
    auth = base64.b64encode(b"me:pw").decode()
    config.write_text(json.dumps({"auths": {"reg.example.com": {"auth": auth}}}))
    ref = parse_reference("reg.example.com/shop/web:1.0")
    return RegistryWriter(ref, docker_config=config, transport=registry.transport)


def test_upload_asks_for_push_and_streams_the_blob(tmp_path: Path) -> None:
    registry = TokenRegistry()
    digest = digest_bytes(BLOB)
    with writer(registry, tmp_path) as w:
        assert not w.has_blob(digest)
        location = w.start_upload(digest)
        assert location is not None
        chunks = (BLOB[i : i + 1_000_000] for i in range(0, len(BLOB), 1_000_000))
        w.finish_upload(location, digest, len(BLOB), chunks)
        assert w.has_blob(digest)
        w.put_manifest("1.0", b"{}", "application/vnd.oci.image.manifest.v1+json")
        assert w.manifest_digest("2.0") is None
    assert registry.scopes == ["repository:shop/web:pull,push"]
    assert registry.blobs[digest] == BLOB
    assert registry.manifests["1.0"] == b"{}"


def test_a_mount_from_another_repository_sends_nothing(tmp_path: Path) -> None:
    registry = TokenRegistry()
    digest = digest_bytes(b"shared")
    registry.blobs[digest] = b"shared"
    with writer(registry, tmp_path) as w:
        assert w.start_upload(digest, mount_from="shop/base") is None
        assert w.start_upload(digest_bytes(b"new"), mount_from="shop/base") is not None
