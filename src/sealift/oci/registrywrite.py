"""Writing into a registry (distribution API v2): monolithic blob uploads streamed from
disk, cross-repository mounts, manifests."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import httpx

from sealift.errors import RegistryError
from sealift.oci.auth import Challenge
from sealift.oci.registry import ACCEPT, RegistryClient


class RegistryWriter(RegistryClient):
    """Reads and writes one repository (asks its token service for pull and push)."""

    def _scope(self, challenge: Challenge) -> str:
        return f"repository:{self.ref.path}:pull,push"

    def has_blob(self, digest: str) -> bool:
        return self._exists(f"blobs/{digest}", {})

    def manifest_digest(self, reference: str) -> str | None:
        """The digest the registry holds at `reference` (a tag or digest), if any."""
        with self._door(), self._request("HEAD", f"manifests/{reference}", {"Accept": ACCEPT}) as r:
            if r.status_code == 404:
                return None
            self._check(r, f"manifests/{reference}")
            return r.headers.get("docker-content-digest") or reference

    def start_upload(self, digest: str, mount_from: str | None = None) -> str | None:
        """Begin an upload; None when the registry mounted the blob from repository
        `mount_from` instead, else the URL to upload to."""
        query = f"?mount={quote(digest)}&from={quote(mount_from)}" if mount_from else ""
        with self._door(), self._request("POST", f"blobs/uploads/{query}", {}, b"") as resp:
            self._check(resp, "blobs/uploads/")
            if resp.status_code == 201 and mount_from:
                return None
            return self._location(resp)

    def finish_upload(self, location: str, digest: str, size: int, chunks: Iterable[bytes]) -> None:
        """Send a whole blob of `size` bytes, streamed from `chunks`, and close the upload."""
        url = f"{location}{'&' if '?' in location else '?'}digest={quote(digest)}"
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        with self._door(), self._request("PUT", url, headers, chunks) as resp:
            self._check(resp, "blobs/uploads/")
            if resp.status_code != 201:
                raise RegistryError(
                    f"{self.ref.text}: {self.host} answered {resp.status_code} to the end "
                    f"of the upload of {digest}, not 201"
                )

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> None:
        headers = {"Content-Type": media_type}
        with self._door(), self._request("PUT", f"manifests/{reference}", headers, data) as r:
            self._check(r, f"manifests/{reference}")

    def _exists(self, path: str, headers: dict[str, str]) -> bool:
        with self._door(), self._request("HEAD", path, headers) as resp:
            if resp.status_code == 404:
                return False
            self._check(resp, path)
            return True

    def _location(self, resp: httpx.Response) -> str:
        location = resp.headers.get("location", "")
        if not location:
            raise RegistryError(f"{self.ref.text}: {self.host} started an upload without a URL")
        return str(location)
