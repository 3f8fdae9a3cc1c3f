"""A read-only OCI Distribution API over a layout's blobs.

It knows nothing of apps: it serves the repositories a callable gives it (name -> tag ->
descriptor), asked again whenever index.json changes, and the blobs those reach. Every
write is refused with the spec's UNSUPPORTED error; blobs are streamed from disk in
chunks (constant memory) under a store lease, so `store gc` never pulls one away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from sealift.errors import SealiftError, UsageError
from sealift.oci import media
from sealift.oci.byterange import ByteRange, parse_range
from sealift.oci.descriptor import Descriptor
from sealift.oci.digest import is_digest
from sealift.oci.htpasswd import Htpasswd
from sealift.oci.layout import Layout, is_container, walk_graph

Repositories = Mapping[str, Mapping[str, Descriptor]]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_ROUTE = re.compile(
    rf"^(?P<name>{_COMPONENT}(?:/{_COMPONENT})*)/"
    r"(?:(?P<kind>manifests|blobs)/(?P<ref>[^/]+)|(?P<tags>tags/list))$"
)
_API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
_READS = ("GET", "HEAD")
CHUNK = 1024 * 1024
MAX_PAGE = 10000


@dataclass(frozen=True)
class _Repository:
    tags: Mapping[str, Descriptor]
    known: Mapping[str, Descriptor]  # every descriptor the tags reach, by digest


class RegistryContent:
    """The repositories served, and what each reaches, recomputed when index.json changes."""

    def __init__(self, root: Path, repositories: Callable[[Layout], Repositories]) -> None:
        self.root = root
        self._layout = Layout.open(root)
        self._lock = threading.Lock()  # requests run in worker threads
        self._source = repositories
        self._stamp: tuple[int, int, int] | None = None
        self._repos: Repositories = {}
        self._reached: dict[str, _Repository] = {}

    def repositories(self) -> Repositories:
        with self._lock:
            return self._current()

    def repository(self, name: str) -> _Repository | None:
        with self._lock:
            tags = self._current().get(name)
            if tags is None:
                return None
            if name not in self._reached:
                with self._layout.lease():
                    reached = walk_graph(list(tags.values()), self._layout.children)
                    known = {d.digest: d for d in reached}
                self._reached[name] = _Repository(tags, known)
            return self._reached[name]

    def _current(self) -> Repositories:
        stat = (self.root / "index.json").stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            with self._layout.lease():
                self._repos = self._source(self._layout)
            self._stamp, self._reached = stamp, {}
        return self._repos

    def manifest_bytes(self, desc: Descriptor) -> bytes:
        layout = Layout(self.root)  # its own lease: Layout's lease count is not thread-safe
        with layout.lease():
            return layout.read_small(desc.digest)

    def blob_size(self, digest: str) -> int:
        return Layout(self.root).blob_size(digest)


class RegistryApp:
    """The Starlette application: one route, dispatched by hand (names hold slashes)."""

    def __init__(self, content: RegistryContent, users: Htpasswd | None = None) -> None:
        self.content = content
        self.users = users
        self.app = Starlette(
            routes=[
                Route(
                    "/v2/{rest:path}",
                    self.dispatch,
                    methods=[*_READS, "POST", "PUT", "PATCH", "DELETE"],
                )
            ]
        )

    async def dispatch(self, request: Request) -> Response:
        if self.users is not None and not await self._authorized(request):
            return error(401, "UNAUTHORIZED", "authentication required", _CHALLENGE)
        if request.method not in _READS:
            return error(
                405, "UNSUPPORTED", "this registry is read-only (sealift registry serve)", _ALLOW
            )
        try:
            return await anyio.to_thread.run_sync(self._read, request)
        except SealiftError as exc:
            return error(500, "UNKNOWN", str(exc))
        except OSError as exc:
            return error(500, "UNKNOWN", f"the store cannot be read: {exc}")

    async def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        users = self.users
        assert users is not None
        return bool(header) and await anyio.to_thread.run_sync(users.check, header) is not None

    def _read(self, request: Request) -> Response:
        rest = request.path_params["rest"]
        if rest == "":
            return _json({})
        if rest == "_catalog":
            return self._catalog(request)
        match = _ROUTE.match(rest)
        if match is None:
            return error(404, "NAME_INVALID", f"not a registry path: /v2/{rest[:100]}")
        repo = self.content.repository(match["name"])
        if repo is None:
            return error(404, "NAME_UNKNOWN", f"repository {match['name']} is not served here")
        if match["tags"]:
            return _tags(request, match["name"], repo)
        if match["kind"] == "manifests":
            return self._manifest(request, repo, match["ref"])
        return self._blob(request, repo, match["ref"])

    def _catalog(self, request: Request) -> Response:
        names = sorted(self.content.repositories())
        page = _page(request, names)
        if isinstance(page, Response):
            return page
        items, link = page
        return _json({"repositories": items}, link=_link("/v2/_catalog", link))

    def _manifest(self, request: Request, repo: _Repository, ref: str) -> Response:
        desc = repo.known.get(ref) if is_digest(ref) else repo.tags.get(ref)
        if desc is None or not is_container(desc):
            return error(404, "MANIFEST_UNKNOWN", f"manifest {ref[:100]} is not in this repository")
        data = self.content.manifest_bytes(desc)
        headers = {
            "Content-Type": desc.media_type or media.OCI_MANIFEST,
            "Docker-Content-Digest": desc.digest,
            "ETag": f'"{desc.digest}"',
            "Content-Length": str(len(data)),
        }
        return Response(
            b"" if request.method == "HEAD" else data, headers={**_API_VERSION, **headers}
        )

    def _blob(self, request: Request, repo: _Repository, digest: str) -> Response:
        desc = repo.known.get(digest) if is_digest(digest) else None
        if desc is None:
            return error(404, "BLOB_UNKNOWN", f"blob {digest[:100]} is not in this repository")
        size = self.content.blob_size(digest)
        span = parse_range(request.headers.get("range", ""), size)
        if span is None:
            return error(
                416,
                "RANGE_INVALID",
                f"unsatisfiable range (size {size})",
                {"Content-Range": f"bytes */{size}"},
            )
        headers = _blob_headers(desc, size, span)
        if request.method == "HEAD":
            return Response(b"", status_code=span.status, headers=headers)
        stream = _stream(self.content.root, digest, span)
        return StreamingResponse(stream, status_code=span.status, headers=headers)


_CHALLENGE = {"WWW-Authenticate": 'Basic realm="sealift registry"'}
_ALLOW = {"Allow": "GET, HEAD"}


def _blob_headers(desc: Descriptor, size: int, span: ByteRange) -> dict[str, str]:
    headers = {
        **_API_VERSION,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(span.length),
        "Docker-Content-Digest": desc.digest,
        "ETag": f'"{desc.digest}"',
        "Accept-Ranges": "bytes",
    }
    if span.partial:
        headers["Content-Range"] = f"bytes {span.start}-{span.start + span.length - 1}/{size}"
    return headers


async def _stream(root: Path, digest: str, span: ByteRange) -> AsyncIterator[bytes]:
    """The bytes of `span` of a blob, read in a worker thread chunk by chunk, with a lease
    held (and the file open) until the last chunk is sent or the client goes away. The
    next chunk is read while this one is sent, so the disk and the socket overlap."""
    layout = Layout(root)
    lease = layout.lease()
    await anyio.to_thread.run_sync(lease.__enter__)
    loop = asyncio.get_running_loop()
    try:
        with layout.open_blob(digest) as f:
            f.seek(span.start)
            left = span.length
            reading: asyncio.Future[bytes] | None = loop.run_in_executor(
                None, f.read, min(CHUNK, left)
            )
            try:
                while reading is not None:
                    chunk = await reading
                    left -= len(chunk)
                    reading = None
                    if chunk and left > 0:
                        reading = loop.run_in_executor(None, f.read, min(CHUNK, left))
                    if not chunk:
                        return  # the file shrank: the client sees a short body and retries
                    yield chunk
            finally:
                if reading is not None:  # the client went away: let the read end first
                    with contextlib.suppress(OSError, ValueError):
                        await reading
    finally:
        lease.__exit__(None, None, None)


def _tags(request: Request, name: str, repo: _Repository) -> Response:
    page = _page(request, sorted(repo.tags))
    if isinstance(page, Response):
        return page
    items, link = page
    return _json({"name": name, "tags": items}, link=_link(f"/v2/{name}/tags/list", link))


def _page(
    request: Request, names: list[str]
) -> tuple[list[str], tuple[str, int] | None] | Response:
    """One page of `names` after `last`, at most `n`; and the (last, n) of the next page."""
    text = request.query_params.get("n")
    last = request.query_params.get("last", "")
    if text is not None and (not text.isdigit() or int(text) > MAX_PAGE):
        return error(400, "PAGINATION_NUMBER_INVALID", f"n must be a number 0..{MAX_PAGE}")
    after = [n for n in names if n > last] if last else names
    if text is None:
        return after, None
    count = int(text)
    items = after[:count]
    more = len(after) > count and count > 0
    return items, (items[-1], count) if more else None


def _link(path: str, following: tuple[str, int] | None) -> str:
    if following is None:
        return ""
    last, count = following
    return f'<{path}?last={last}&n={count}>; rel="next"'


def _json(doc: Any, link: str = "") -> Response:
    headers = dict(_API_VERSION)
    if link:
        headers["Link"] = link
    return Response(json.dumps(doc), media_type="application/json", headers=headers)


def error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A registry error response, as the distribution spec shapes it."""
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={**_API_VERSION, **(headers or {})},
    )


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        """`127.0.0.1:5000`, `[::1]:5000`."""
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(f"--listen {text!r} is not HOST:PORT (for example 127.0.0.1:5000)")
        return cls(host.strip("[]"), int(port))


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path


def run(
    app: RegistryApp,
    listen: Listen,
    tls: Tls | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve `app` until interrupted (uvicorn, pure-Python h11, one process)."""
    config = uvicorn.Config(
        app.app,
        host=listen.host,
        port=listen.port,
        http="h11",
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="error",  # not the "Invalid HTTP request" of clients trying TLS first
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        timeout_keep_alive=30,
    )
    server = _Server(config, on_ready)
    where = f"{listen.host}:{listen.port}"
    try:
        server.run()
    except SystemExit:  # uvicorn's answer to an address it cannot bind (it logged why)
        pass
    except ssl.SSLError as exc:
        raise UsageError(
            f"cannot load the TLS certificate and key ({exc.reason or exc}): give a PEM "
            "certificate and its matching private key"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot serve on {where}: {exc.strerror or exc}") from None
    if not server.started:
        raise UsageError(
            f"cannot listen on {where}: the address is in use or not this host's; "
            "pick another --listen"
        )


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()
