"""The example app (examples/shop 1.0.0) published for amd64 and arm64 into a fresh
SEALIFT_HOME, and helpers to run `sealift registry serve` and real registries on
127.0.0.1 (TLS with a self-signed certificate, htpasswd auth)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import docker
import httpx
import pytest

from tests.conftest import SEALIFT, free_port, run_sealift

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "shop" / "1.0.0" / "sealift.yaml"
VENDOR = "127.0.0.1:5055/shop/"
COMPONENTS = ("api", "store", "web", "worker")
PREFIX = f"sl-reg-{uuid.uuid4().hex[:8]}"
USER, PASSWORD = "site", "s3cret-pw"


def build_shop(registry: str, home: Path, work: Path) -> None:
    """Build shop 1.0.0's images for both platforms, push them as multi-platform indexes
    into `registry` (the vendor's), and publish the version into `home`."""
    prefix = f"{registry}/{PREFIX}/shop"
    arches = ["--arch", "amd64", "--arch", "arm64"]
    script = str(ROOT / "scripts" / "example-images.py")
    built = script_output(script, "--prefix", prefix, "--version", "1.0.0", *arches)
    for line in filter(None, built.split("\n")):
        component, version, source = line.split()
        push = str(ROOT / "scripts" / "push-multiarch.py")
        script_output(push, f"{prefix}/{component}", "--source", source, *arches, "--tag", version)
    model = work / "sealift.yaml"
    model.write_text(APP.read_text().replace(VENDOR, f"{prefix}/"))
    run_sealift(home, "publish", str(model))


def script_output(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr[-3000:]}"
    return result.stdout


def remove_built_images(client: docker.DockerClient, registry: str) -> None:
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(f"{registry}/{PREFIX}/"):
                client.images.remove(tag, force=True)


def self_signed(work: Path, name: str = "127.0.0.1") -> tuple[Path, Path]:
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=IP:{name}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def htpasswd_file(work: Path) -> Path:
    path = work / "htpasswd"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    path.write_text(f"{USER}:{hashed.replace('$2b$', '$2y$', 1)}\n")  # as `htpasswd -B` writes
    return path


def docker_config(work: Path, host: str) -> Path:
    """A docker config.json holding the site's login for `host`."""
    directory = work / "docker-config"
    directory.mkdir(exist_ok=True)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return directory


@dataclass
class Served:
    """A running `sealift registry serve`."""

    address: str
    proc: subprocess.Popen[bytes]
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"


class ServeStarter:
    """Starts `sealift registry serve` processes; `stop()` ends them all."""

    def __init__(self) -> None:
        self.started: list[Served] = []

    def __call__(self, home: Path, *extra: str, scheme: str = "http") -> Served:
        address = f"127.0.0.1:{free_port()}"
        proc = subprocess.Popen(
            [SEALIFT, "--home", str(home), "registry", "serve", "--listen", address, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        served = Served(address, proc, scheme)
        self.started.append(served)
        wait_until_up(served)
        return served

    def stop(self) -> None:
        for served in self.started:
            served.proc.terminate()
            served.proc.wait(timeout=20)


def wait_until_up(served: Served) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            out = served.proc.stdout.read().decode() if served.proc.stdout else ""
            pytest.fail(f"registry serve exited: {out}")
        try:
            httpx.get(f"{served.url}/v2/", verify=False, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("registry serve did not start listening")


@dataclass
class Registry:
    """A real docker-registry (distribution) on 127.0.0.1 whose log counts requests."""

    address: str
    proc: subprocess.Popen[bytes]
    log: Path
    root: Path

    def requests(self, method: str, path_part: str, status: int = 0) -> int:
        """How many `method` requests on a URI holding `path_part` it has answered
        (with `status`, if given)."""
        return sum(
            1
            for line in self.log.read_text(errors="replace").splitlines()
            if "response completed" in line
            and f"http.request.method={method} " in line
            and path_part in line
            and (not status or f"http.response.status={status} " in line)
        )

    def uploads(self) -> int:
        """Blob uploads it completed."""
        return self.requests("PUT", "/blobs/uploads/", 201)


class RegistryStarter:
    """Starts docker-registry instances (TLS and htpasswd optional); `stop()` ends them."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.started: list[Registry] = []

    def __call__(
        self, *, tls: tuple[Path, Path] | None = None, htpasswd: Path | None = None
    ) -> Registry:
        root = self.work / f"registry-{len(self.started)}"
        root.mkdir()
        port = free_port()
        config = [
            "version: 0.1",
            "log: {level: info, accesslog: {disabled: true}}",
            f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}",
            f"http: {{addr: 127.0.0.1:{port}"
            + (f", tls: {{certificate: {tls[0]}, key: {tls[1]}}}" if tls else "")
            + "}",
        ]
        if htpasswd is not None:
            config.append(f"auth: {{htpasswd: {{realm: site, path: {htpasswd}}}}}")
        (root / "config.yml").write_text("\n".join(config) + "\n")
        log = root / "log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                ["docker-registry", "serve", str(root / "config.yml")], stdout=out, stderr=out
            )
        registry = Registry(f"127.0.0.1:{port}", proc, log, root)
        self.started.append(registry)
        _wait_for(registry, "https" if tls else "http")
        return registry

    def stop(self) -> None:
        for registry in self.started:
            registry.proc.terminate()
            registry.proc.wait(timeout=20)


def _wait_for(registry: Registry, scheme: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if registry.proc.poll() is not None:
            pytest.fail(f"docker-registry exited: {registry.log.read_text()[-2000:]}")
        try:
            httpx.get(f"{scheme}://{registry.address}/v2/", verify=False, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("docker-registry did not start listening")
