"""For the web console's tests: the example shop's bundles (1.0.0 full, 1.1.0 differential),
built once from examples/shop and cached in ~/.cache/sealift-test/console, and a real
`sealift console` started on 127.0.0.1 with a known password."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx

from tests.conftest import SEALIFT, free_port, run_sealift

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "examples" / "shop"
CACHE = Path.home() / ".cache" / "sealift-test" / "console"
PREFIX = "sl-web-ex/shop"
PASSWORD = "console-test-password"
IMAGE = re.compile(r"127\.0\.0\.1:5055/shop/([a-z]+):([0-9.]+)")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(APP_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(APP_DIR)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


BROKEN_HEALTH = (
    "health: {http: {path: /healthz, port: 8080}, interval: 2s, retries: 15}",
    "health: {http: {path: /no-such-page, port: 8080}, interval: 1s, retries: 2}",
)


def shop_bundles(client: docker.DockerClient) -> tuple[Path, Path, Path]:
    """shop-1.0.0.tar (full), shop-1.1.0.tar (differential, since 1.0.0) and
    shop-1.2.0.tar (since 1.1.0: 1.1.0 whose storefront never passes its health check),
    amd64 only."""
    folder = CACHE / _fingerprint()
    bundles = tuple(folder / f"shop-{v}.tar" for v in ("1.0.0", "1.1.0", "1.2.0"))
    if not all(b.exists() for b in bundles):
        _build_bundles(client, folder)
    return bundles[0], bundles[1], bundles[2]


def _build_bundles(client: docker.DockerClient, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    vendor = folder / "vendor"
    shutil.rmtree(vendor, ignore_errors=True)  # an earlier, interrupted build
    built = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "example-images.py"),
            "--prefix",
            PREFIX,
            "--arch",
            "amd64",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    sources = {(c, v): s for c, v, s in (line.split() for line in built.splitlines() if line)}
    try:
        for version in ("1.0.0", "1.1.0"):
            text = (APP_DIR / version / "sealift.yaml").read_text()
            model = folder / f"sealift-{version}.yaml"
            model.write_text(
                IMAGE.sub(lambda m: f"{PREFIX}/{m[1]}:{sources[(m[1], m[2])]}-amd64", text)
            )
            run_sealift(
                vendor, "publish", str(model), "--source", "engine", "--platform", "linux/amd64"
            )
        broken = folder / "sealift-1.2.0.yaml"
        broken.write_text((folder / "sealift-1.1.0.yaml").read_text().replace(*BROKEN_HEALTH))
        run_sealift(
            vendor,
            "publish",
            str(broken),
            "--version",
            "1.2.0",
            "--source",
            "engine",
            "--platform",
            "linux/amd64",
        )
        run_sealift(vendor, "export", "shop:1.0.0", "-o", str(folder / "shop-1.0.0.tar"))
        for version, since in (("1.1.0", "1.0.0"), ("1.2.0", "1.1.0")):
            out = str(folder / f"shop-{version}.tar")
            run_sealift(vendor, "export", f"shop:{version}", "--since", since, "-o", out)
    finally:
        built_tags = {f"{PREFIX}/{c}:{s}-amd64" for (c, _v), s in sources.items()}
        for image in client.images.list(name=f"{PREFIX}/*"):
            built_tags.update(image.tags)
        for tag in sorted(built_tags):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(tag)


@dataclass(frozen=True)
class RunningConsole:
    url: str
    home: Path
    import_dir: Path
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


@contextmanager
def console(home: Path, import_dir: Path, *extra: str) -> Iterator[RunningConsole]:
    """`sealift console` on a free port of 127.0.0.1, logged with PASSWORD (over TLS when
    `extra` gives --tls-cert)."""
    password = home.parent / "password"
    password.write_text(PASSWORD + "\n")
    port = free_port()
    log = open(home.parent / "console.log", "wb")  # noqa: SIM115 -- closed below
    process = subprocess.Popen(
        [
            SEALIFT,
            "--home",
            str(home),
            "console",
            "--listen",
            f"127.0.0.1:{port}",
            "--password-file",
            str(password),
            "--import-dir",
            str(import_dir),
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SEALIFT_SETTLE": "1"},
    )
    try:
        _wait_for(port, process)
        scheme = "https" if "--tls-cert" in extra else "http"
        yield RunningConsole(f"{scheme}://127.0.0.1:{port}", home, import_dir, process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def self_signed(folder: Path) -> tuple[str, ...]:
    """A certificate for 127.0.0.1 made now by openssl, as `--tls-cert C --tls-key K`."""
    cert, key = folder / "console.crt", folder / "console.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return ("--tls-cert", str(cert), "--tls-key", str(key))


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sealift console exited with {process.returncode} at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("sealift console did not start listening")


def login(client: httpx.Client) -> str:
    """Log `client` in; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    answer = client.post("/login", data={"csrf": token[1], "user": "admin", "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/installations").text)


def csrf_of(html: str) -> str:
    found = re.search(r'data-csrf="([^"]*)"', html)
    assert found, html
    return found[1]
