"""The web console's doors, against a real `sealift console` on 127.0.0.1: nothing without
a session, nothing changed without the CSRF token, no file outside the import directory,
a corrupt upload refused with one clear error and the store untouched, wrong passwords
rate-limited, and only loopback without TLS."""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest

from sealift.web.app import ROUTES
from tests.conftest import run_sealift
from tests.consoleserver import (
    PASSWORD,
    RunningConsole,
    console,
    csrf_of,
    login,
    self_signed,
    shop_bundles,
)

GETS = [
    "/",
    "/installations",
    "/installations/shop",
    "/installations/shop/upgrade?version=1.1.0",
    "/installations/shop/rollback/1",
    "/installations/shop/uninstall",
    "/installations/shop/logs?component=web",
    "/installations/shop/logs.txt?component=web",
    "/api/installations/shop/logs?component=web",
    "/market",
    "/market/shop/1.0.0",
    "/import",
    "/api/uploads?key=k&name=x.tar&total=10",
    "/install/shop/1.0.0",
    "/jobs",
    "/jobs/1-1",
    "/api/jobs/1-1",
]
POSTS = [
    "/logout",
    "/market/shop/1.0.0/remove",
    "/import/upload?name=x.tar",
    "/import/pick",
    "/install/shop/1.0.0",
    "/installations/shop/upgrade",
    "/installations/shop/rollback",
    "/installations/shop/uninstall",
]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    root = tmp_path_factory.mktemp("console-sec")
    home, media = root / "home", root / "media"
    home.mkdir()
    (media / "sub").mkdir(parents=True)
    (media / "sub" / "ok.tar").write_bytes(b"not a bundle at all")
    (root / "secret.tar").write_bytes(b"outside")
    (media / "link.tar").symlink_to(root / "secret.tar")
    (media / "dirlink").symlink_to(root)
    with console(home, media) as running:
        yield running


def test_every_route_is_listed_here() -> None:
    """A new route must be added to GETS/POSTS (and so to the refusals below)."""
    listed = {re.sub(r"\?.*", "", p) for p in GETS + POSTS}
    patterns = [getattr(r, "path", "") for r in ROUTES if getattr(r, "path", "")]
    for pattern in patterns:
        if pattern in ("/login", "/favicon.ico", "/lang/{lang}", "/static"):
            continue
        regex = re.sub(r"\{[^}]+\}", "[^/]+", pattern) + "$"
        assert any(re.match(regex, p) for p in listed), f"{pattern} is not tested"


def test_without_a_session_every_page_and_api_is_refused(running: RunningConsole) -> None:
    with running.client() as client:
        for path in GETS:
            answer = client.get(path)
            assert answer.status_code in (303, 401), path
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login"), path
            assert "shop" not in answer.text
        for path in POSTS:
            answer = client.post(path, data={"csrf": "x"})
            assert answer.status_code == 401, path


def test_a_change_without_the_csrf_token_is_refused(running: RunningConsole) -> None:
    with running.client() as client:
        token = login(client)
        for path in POSTS:
            assert client.post(path, data={"x": "1"}).status_code == 403, path
            forged = token[:-1] + ("B" if token.endswith("A") else "A")  # never the token itself
            assert client.post(path, data={"csrf": forged}).status_code == 403, path
            wrong = client.post(path, content=b"abc", headers={"x-csrf-token": "nope"})
            assert wrong.status_code == 403, path
        assert client.get("/installations").status_code == 200  # still logged in: no logout


def test_the_session_cookie_is_httponly_strict_and_expires(running: RunningConsole) -> None:
    with running.client() as client:
        page = client.get("/login")
        token = csrf_of(page.text)
        answer = client.post("/login", data={"csrf": token, "user": "admin", "password": PASSWORD})
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "max-age=" in cookie
        assert "; secure" not in cookie  # plain HTTP on loopback: a browser would drop it
        assert "content-security-policy" in answer.headers


def test_over_tls_the_console_logs_in_with_a_secure_cookie(tmp_path: Path) -> None:
    """A self-signed certificate (openssl), the console serving https on 127.0.0.1: a
    client that trusts that certificate logs in and gets a Secure cookie; plain HTTP to
    the same port gets no page."""
    tls = self_signed(tmp_path)
    (tmp_path / "home").mkdir()
    (tmp_path / "media").mkdir()
    with console(tmp_path / "home", tmp_path / "media", *tls) as running:
        assert running.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=tls[1])
        with httpx.Client(base_url=running.url, verify=trusted, timeout=30) as client:
            token = csrf_of(client.get("/login").text)
            answer = client.post(
                "/login", data={"csrf": token, "user": "admin", "password": PASSWORD}
            )
            assert answer.status_code == 303
            cookie = answer.headers["set-cookie"].lower()
            assert "; secure" in cookie and "httponly" in cookie
            assert "Installations" in client.get("/installations").text  # logged in over TLS
        with pytest.raises(httpx.ConnectError):  # nobody else's certificate is trusted
            httpx.get(f"{running.url}/login", timeout=10)
        with pytest.raises(httpx.TransportError):
            httpx.get(running.url.replace("https:", "http:") + "/login", timeout=10)


def test_login_without_its_form_token_is_refused(running: RunningConsole) -> None:
    with running.client() as client:
        answer = client.post("/login", data={"user": "admin", "password": PASSWORD})
        assert answer.status_code == 403


def test_the_import_directory_cannot_be_left(running: RunningConsole) -> None:
    with running.client() as client:
        token = login(client)
        page = client.get("/import").text
        assert "sub/ok.tar" in page
        assert "link.tar" not in page  # a symlink is not offered
        for name in (
            "../secret.tar",
            "/etc/passwd",
            "link.tar",
            "dirlink/secret.tar",
            "sub/../../secret.tar",
        ):
            answer = client.post("/import/pick", data={"csrf": token, "file": name})
            assert answer.status_code == 400, name
            assert "not a file of the import directory" in answer.text, name
        assert client.get("/jobs").text.count("/jobs/") == 0  # no import was started


def test_a_corrupt_upload_shows_one_error_and_leaves_the_store_as_it_was(
    running: RunningConsole,
) -> None:
    store = running.home / "store"
    with running.client() as client:
        token = login(client)
        assert "The market is empty" in client.get("/market").text  # makes the empty store
        before = _listing(store)
        answer = client.post(
            "/import/upload?name=broken.tar",
            content=b"\x00" * 4096 + b"garbage" * 1000,
            headers={"x-csrf-token": token},
        )
        assert answer.status_code == 200, answer.text
        job = answer.json()["job"]
        state = _wait_job(client, job)
        assert state["state"] == "failed"
        assert "bundle" in state["error"].lower()
        assert "\n" not in state["error"]
        page = client.get(f"/jobs/{job}").text
        assert page.count('role="alert"') == 1
    assert _listing(store) == before
    assert not list((running.home / "staging" / "blobs" / "sha256").iterdir())


def test_an_upload_that_broke_off_keeps_what_it_verified(
    running: RunningConsole, docker_client: docker.DockerClient
) -> None:
    """The upload is imported as it arrives: when the browser goes away midway, the store
    is as it was, the blobs verified so far stay in staging, and sending the file again
    imports it, reusing them."""
    bundle = shop_bundles(docker_client)[0].read_bytes()
    half = len(bundle) // 2
    staged = running.home / "staging" / "blobs" / "sha256"
    query = "key=first-try&name=shop-1.0.0.tar"
    with running.client() as client:
        token = login(client)
        session = client.cookies["sealift_session"]
        head = (
            f"POST /import/upload?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: sealift_session={session}\r\nX-CSRF-Token: {token}\r\n"
            f"Content-Length: {len(bundle)}\r\n\r\n"
        )
        port = int(running.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(head.encode() + bundle[:half])  # then the network goes
            time.sleep(0.5)
        job = client.get(f"/api/uploads?{query}").json()["job"]
        state = _wait_job(client, job)
        assert state["state"] == "failed"
        assert state["error"].startswith("the upload broke off; choose the file again"), state
        assert "The market is empty" in client.get("/market").text
        kept = {p.name for p in staged.iterdir()}
        assert kept, "nothing verified was kept"
        again = client.post(
            "/import/upload?key=second-try&name=shop-1.0.0.tar",
            content=bundle,
            headers={"x-csrf-token": token},
        )
        assert again.status_code == 200, again.text
        state = _wait_job(client, again.json()["job"])
        assert state["state"] == "done", state
        page = client.get(f"/jobs/{again.json()['job']}").text
        assert f"{len(kept)} reused" in page, page
        assert "shop" in client.get("/market").text


def test_an_upload_bigger_than_the_free_disk_is_refused_before_it_starts(
    running: RunningConsole,
) -> None:
    with running.client() as client:
        token = login(client)
        session = client.cookies["sealift_session"]
        jobs = client.get("/jobs").text.count("/jobs/")
    port = int(running.url.rsplit(":", 1)[1])
    request = (
        "POST /import/upload?name=huge.tar HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: sealift_session={session}\r\nX-CSRF-Token: {token}\r\n"
        f"Content-Length: {1 << 60}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(request.encode() + b"x" * 1000)  # the server answers without the rest
        answer = ""
        while not answer.endswith("}"):  # the JSON body may come in a second packet
            received = raw.recv(65536).decode()
            if not received:
                break
            answer += received
    assert answer.startswith("HTTP/1.1 400")
    assert "free" in answer and "uploading and importing this bundle needs" in answer
    with running.client() as client:
        login(client)
        assert client.get("/jobs").text.count("/jobs/") == jobs  # no import was started


def test_a_second_operation_on_a_busy_installation_is_refused(running: RunningConsole) -> None:
    from sealift.deploy.lock import installation_lock

    with running.client() as client:
        token = login(client)
        with installation_lock(running.home, "busy", "upgrade"):  # as a CLI command would
            answer = client.post(
                "/installations/busy/upgrade", data={"csrf": token, "version": "1.1.0"}
            )
        assert answer.status_code == 409
        assert "another operation is running on busy" in answer.text


def test_wrong_passwords_are_rate_limited(running: RunningConsole) -> None:
    with running.client() as client:
        for attempt in range(6):
            token = csrf_of(client.get("/login").text)
            answer = client.post(
                "/login", data={"csrf": token, "user": "admin", "password": f"wrong{attempt}"}
            )
            assert answer.status_code == (401 if attempt < 5 else 429), attempt
        token = csrf_of(client.get("/login").text)
        right = client.post("/login", data={"csrf": token, "user": "admin", "password": PASSWORD})
        assert right.status_code == 429  # even the right password waits
        assert "too many wrong passwords" in right.text


def test_another_address_needs_tls_or_insecure_http(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refused = run_sealift(home, "console", "--listen", "0.0.0.0:1", check=False, timeout=30)
    assert refused.returncode == 1
    assert "--tls-cert" in refused.stderr and "--insecure-http" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (home / "console").exists()  # refused before anything was made
    from sealift.web.server import ServeOptions, prepare

    said: list[str] = []  # what `sealift console --insecure-http` prints (not bound here)
    options = ServeOptions(home, "0.0.0.0:8700", password_file=None, insecure_http=True)
    prepare(options, said.append)
    assert said[-1].startswith("warning: serving on 0.0.0.0 over plain HTTP (--insecure-http)")


def test_first_start_prints_a_password_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run_sealift(home, "console", "--listen", "127.0.0.1:bad", check=False, timeout=30)
    assert "not ADDRESS:PORT" in first.stderr
    from sealift.web.server import ServeOptions, prepare

    said: list[str] = []
    prepare(ServeOptions(home, "127.0.0.1:8700"), said.append)
    password = said[0].rsplit(" ", 1)[-1]
    stored = (home / "console" / "admin-password.hash").read_text()
    assert password not in stored and "scrypt" in stored
    again: list[str] = []
    console_again, _, _ = prepare(ServeOptions(home, "127.0.0.1:8700"), again.append)
    assert again == []  # shown once
    assert console_again.sessions.password.matches(password)


def _listing(store: Path) -> list[tuple[str, bytes]]:
    """Every blob and index.json (lock files left out), with their content."""
    return sorted(
        (str(p.relative_to(store)), p.read_bytes())
        for p in store.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def _wait_job(client: httpx.Client, job: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, object] = client.get(f"/api/jobs/{job}").json()
        if state["state"] != "running":
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish")
