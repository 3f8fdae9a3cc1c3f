"""The door to OCI/Docker registries (distribution API v2).

Every httpx and network exception is translated to a sealift error in `_door()`,
and every HTTP status in `_check()`; nothing else in sealift sees httpx.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import ssl
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpx

from sealift.errors import AuthError, NotFoundError, RegistryError, UsageError
from sealift.oci import media
from sealift.oci.auth import Challenge, Credentials, find_credentials, parse_challenge
from sealift.oci.digest import digest_bytes
from sealift.oci.layout import MAX_JSON
from sealift.oci.reference import ImageReference

ACCEPT = ", ".join([media.OCI_INDEX, media.OCI_MANIFEST, media.DOCKER_LIST, media.DOCKER_MANIFEST])
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
CHUNK = 1024 * 1024


_Client = TypeVar("_Client", bound="RegistryClient")


@dataclass(frozen=True)
class RawManifest:
    data: bytes
    media_type: str
    digest: str


def is_plain_http(host: str, insecure: Sequence[str] = ()) -> bool:
    """Loopback registries and those named in `insecure` are spoken to over plain HTTP."""
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    bare = bare.strip("[]")
    if host in insecure or bare in insecure or bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """Reads manifests and blobs of one repository."""

    def __init__(
        self,
        ref: ImageReference,
        *,
        insecure: Sequence[str] = (),
        docker_config: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        ca_cert: Path | None = None,
    ) -> None:
        self.ref = ref
        self.host = ref.api_host
        plain = ca_cert is None and is_plain_http(self.host, insecure)
        self._origin = f"{'http' if plain else 'https'}://{self.host}"
        self._base = f"{self._origin}/v2/{ref.path}"
        self._docker_config = docker_config
        self._authorization = ""
        self._http = httpx.Client(
            timeout=TIMEOUT, transport=transport, follow_redirects=True, verify=_verify(ca_cert)
        )

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # -- public reads ---------------------------------------------------------

    def manifest(self, reference: str) -> RawManifest:
        """The manifest or index at `reference` (a tag or digest), its bytes verified."""
        with self._door(), self._get(f"manifests/{reference}", ACCEPT) as resp:
            data = _read_limited(resp, f"{self.ref.text}: manifest")
            content_type = resp.headers.get("content-type", "").split(";")[0].strip()
        digest = digest_bytes(data)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(
                f"{self.ref.text}: {self.host} sent a manifest whose digest "
                f"is {digest}, not {reference}"
            )
        return RawManifest(data, _media_type(data, content_type), digest)

    @contextlib.contextmanager
    def blob(self, digest: str) -> Iterator[Iterator[bytes]]:
        """Stream a blob in chunks (the caller verifies the digest while storing)."""
        with self._door(), self._get(f"blobs/{digest}") as resp:
            yield self._chunks(resp)

    # -- the door -------------------------------------------------------------

    @contextlib.contextmanager
    def _door(self) -> Iterator[None]:
        """Translate httpx exceptions, naming the image and the cause."""
        where = f"{self.ref.text}: registry {self.host}"
        try:
            yield
        except httpx.ConnectError as exc:
            raise RegistryError(
                f"{where} is not reachable ({_cause(exc)}); "
                "check the address and that the registry runs"
            ) from exc
        except httpx.TimeoutException as exc:
            raise RegistryError(
                f"{where} timed out ({type(exc).__name__}); try again or check the network"
            ) from exc
        except httpx.HTTPError as exc:
            raise RegistryError(f"{where} failed: {_cause(exc)}") from exc

    def _chunks(self, resp: httpx.Response) -> Iterator[bytes]:
        with self._door():
            yield from resp.iter_bytes(CHUNK)

    @contextlib.contextmanager
    def _get(self, path: str, accept: str = "") -> Iterator[httpx.Response]:
        """GET with authentication (answering one 401 challenge) and status checks."""
        with self._request("GET", path, {"Accept": accept} if accept else {}) as resp:
            self._check(resp, path)
            yield resp

    @contextlib.contextmanager
    def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        content: bytes | Iterable[bytes] | None = None,
    ) -> Iterator[httpx.Response]:
        """Send (streamed) with authentication, answering one 401 challenge; a `content`
        that is not bytes cannot be sent twice, so it is sent only once authenticated.
        `path` is under the repository's /v2/ URL, or a URL the registry gave."""
        resp = self._send(method, path, headers, content)
        if resp.status_code == 401 and (content is None or isinstance(content, bytes)):
            challenge = resp.headers.get("www-authenticate", "")
            resp.close()
            self._authenticate(challenge)
            resp = self._send(method, path, headers, content)
        try:
            yield resp
        finally:
            resp.close()

    def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        content: bytes | Iterable[bytes] | None,
    ) -> httpx.Response:
        if self._authorization:
            headers = {**headers, "Authorization": self._authorization}
        url = path if "://" in path else urljoin(f"{self._base}/", path)
        request = self._http.build_request(method, url, headers=headers, content=content)
        return self._http.send(request, stream=True)

    def _check(self, resp: httpx.Response, path: str) -> None:
        status = resp.status_code
        if status < 300:
            return
        code = _error_code(resp)
        what = f"{self.ref.text}: {self.host} answered {status} {code}".rstrip()
        if status == 401:
            raise AuthError(
                f"{what}; the credentials were refused: run "
                f"`docker login {self.host}` with an account that may pull"
            )
        if status == 403:
            raise AuthError(f"{what}; access denied: check the account's permissions")
        if status == 404:
            kind = "manifest" if path.startswith("manifests/") else "blob"
            raise NotFoundError(f"{what} ({kind} not found): check the name and tag")
        raise RegistryError(f"{what} for {path}")

    # -- authentication -------------------------------------------------------

    def _authenticate(self, header: str) -> None:
        challenge = parse_challenge(header)
        if challenge is None:
            raise AuthError(
                f"{self.ref.text}: {self.host} asked for an unsupported "
                f"authentication ({header[:60]!r})"
            )
        creds = find_credentials(self.host, self._docker_config)
        if challenge.scheme == "basic":
            if creds is None:
                raise AuthError(
                    f"{self.ref.text}: {self.host} requires a login: run `docker login {self.host}`"
                )
            self._authorization = _basic(creds)
        else:
            self._authorization = "Bearer " + self._fetch_token(challenge, creds)

    def _scope(self, challenge: Challenge) -> str:
        """The token scope to ask for (a pusher asks for push too)."""
        return challenge.params.get("scope") or f"repository:{self.ref.path}:pull"

    def _fetch_token(self, challenge: Challenge, creds: Credentials | None) -> str:
        realm = challenge.params.get("realm", "")
        if not realm:
            raise AuthError(f"{self.ref.text}: {self.host} sent a bearer challenge without a realm")
        params = {"scope": self._scope(challenge)}
        if challenge.params.get("service"):
            params["service"] = challenge.params["service"]
        headers = {"Authorization": _basic(creds)} if creds else {}
        resp = self._http.get(realm, params=params, headers=headers)
        if resp.status_code in (401, 403):
            raise AuthError(
                f"{self.ref.text}: the token service of {self.host} refused "
                f"{'the credentials' if creds else 'anonymous access'} "
                f"({resp.status_code}): run `docker login {self.host}`"
            )
        if resp.status_code >= 300:
            raise RegistryError(
                f"{self.ref.text}: token service {realm} answered {resp.status_code}"
            )
        return _token_of(resp, self.ref.text)


def _verify(ca_cert: Path | None) -> ssl.SSLContext | bool:
    """The system's CAs, or only `ca_cert` (a site's own CA)."""
    if ca_cert is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_cert))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the CA certificate {ca_cert}: {exc}") from None


def _basic(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _token_of(resp: httpx.Response, image: str) -> str:
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{image}: the token service answered without a token")
    return token


def _read_limited(resp: httpx.Response, what: str) -> bytes:
    data = bytearray()
    for chunk in resp.iter_bytes():
        data += chunk
        if len(data) > MAX_JSON:
            raise RegistryError(f"{what} is larger than {MAX_JSON} bytes; refusing it")
    return bytes(data)


def _media_type(data: bytes, content_type: str) -> str:
    try:
        doc: Any = json.loads(data)
    except ValueError:
        raise RegistryError("the registry sent a manifest that is not JSON") from None
    declared = doc.get("mediaType") if isinstance(doc, dict) else None
    if isinstance(declared, str) and declared:
        return declared
    if content_type in media.INDEX_TYPES or content_type in media.MANIFEST_TYPES:
        return content_type
    has_manifests = isinstance(doc, dict) and "manifests" in doc
    return media.OCI_INDEX if has_manifests else media.OCI_MANIFEST


def _error_code(resp: httpx.Response) -> str:
    """`MANIFEST_UNKNOWN` etc. from a registry error body, if it has one."""
    try:
        body = _read_at_most(resp, 65536)
        errors = json.loads(body).get("errors") or []
        return " ".join(str(e.get("code", "")) for e in errors if isinstance(e, dict)).strip()
    except (ValueError, AttributeError, httpx.HTTPError):
        return ""


def _cause(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    return text.splitlines()[0][:200]


def _read_at_most(resp: httpx.Response, limit: int) -> bytes:
    """The start of a (streamed) body, never more than `limit` bytes in memory."""
    if resp.is_stream_consumed:
        return resp.content[:limit]
    out = bytearray()
    for chunk in resp.iter_bytes():
        out += chunk[: limit - len(out)]
        if len(out) >= limit:
            break
    return bytes(out)
