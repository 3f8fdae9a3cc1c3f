"""The read-only registry app (in-process, Starlette's test client), byte ranges and
htpasswd logins; the real clients are in tests/integration/test_site_registry.py."""

from __future__ import annotations

import base64
import concurrent.futures
from pathlib import Path

import anyio
import bcrypt
import pytest
from starlette.testclient import TestClient

from sealift.errors import UsageError
from sealift.oci.byterange import ByteRange, parse_range
from sealift.oci.descriptor import Descriptor
from sealift.oci.htpasswd import Htpasswd
from sealift.oci.layout import Layout
from sealift.oci.serve import Listen, RegistryApp, RegistryContent, Repositories, _stream
from tinyimages import one_layer_manifest


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", ByteRange(0, 100, partial=False)),
        ("bytes=0-9", ByteRange(0, 10, partial=True)),
        ("bytes=90-", ByteRange(90, 10, partial=True)),
        ("bytes=90-500", ByteRange(90, 10, partial=True)),
        ("bytes=-5", ByteRange(95, 5, partial=True)),
        ("bytes=5-3", ByteRange(0, 100, partial=False)),
        ("bytes=0-1,5-6", ByteRange(0, 100, partial=False)),
        ("items=0-1", ByteRange(0, 100, partial=False)),
        ("bytes=100-", None),
        ("bytes=-0", None),
    ],
)
def test_ranges(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


def test_htpasswd_checks_bcrypt_entries_as_htpasswd_writes_them(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$")
    path = tmp_path / "htpasswd"
    path.write_text(f"# site users\nsite:{hashed}\n")
    users = Htpasswd.load(path)
    assert users.check(basic("site", "pw")) == "site"
    assert users.check(basic("site", "pw")) == "site"  # the remembered path
    assert users.check(basic("site", "px")) is None
    assert users.check(basic("other", "pw")) is None
    assert users.check("Bearer abc") is None
    assert users.check("Basic !!!") is None


def test_htpasswd_refuses_other_hashes_with_the_command_to_use(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    path.write_text("site:$apr1$abc$def\n")
    with pytest.raises(UsageError, match="htpasswd -B"):
        Htpasswd.load(path)
    path.write_text("\n")
    with pytest.raises(UsageError, match="names no user"):
        Htpasswd.load(path)


def test_listen_addresses() -> None:
    assert Listen.parse("127.0.0.1:5000") == Listen("127.0.0.1", 5000)
    assert Listen.parse("[::1]:5001") == Listen("::1", 5001)
    for bad in ("127.0.0.1", ":5000", "host:0", "host:x"):
        with pytest.raises(UsageError):
            Listen.parse(bad)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, dict[str, Descriptor]]:
    layout = Layout.create(tmp_path / "store")
    images = {f"app/c{i}": one_layer_manifest(layout, f"payload {i}".encode()) for i in range(3)}
    for name, desc in images.items():
        layout.set_ref(f"{name}:1.0", desc)
    return layout.root, images


def repositories(layout: Layout) -> Repositories:
    out: dict[str, dict[str, Descriptor]] = {}
    for ref, desc in layout.refs().items():
        name, _, tag = ref.rpartition(":")
        out.setdefault(name, {})[tag] = desc
    return out


def client(root: Path, users: Htpasswd | None = None) -> TestClient:
    return TestClient(RegistryApp(RegistryContent(root, repositories), users).app)


def test_pages_of_the_catalog_and_a_new_tag_seen_at_once(
    store: tuple[Path, dict[str, Descriptor]],
) -> None:
    root, images = store
    http = client(root)
    assert http.get("/v2/_catalog?n=2").json() == {"repositories": ["app/c0", "app/c1"]}
    assert http.get("/v2/_catalog?n=2&last=app/c1").json() == {"repositories": ["app/c2"]}
    assert http.get("/v2/_catalog?n=x").json()["errors"][0]["code"] == ("PAGINATION_NUMBER_INVALID")
    Layout.open(root).set_ref("app/c0:2.0", images["app/c0"])
    assert http.get("/v2/app/c0/tags/list").json()["tags"] == ["1.0", "2.0"]
    assert http.get("/v2/app/c0/tags/list?n=1").headers["link"] == (
        '</v2/app/c0/tags/list?last=1.0&n=1>; rel="next"'
    )


def test_a_blob_is_served_only_from_a_repository_that_reaches_it(
    store: tuple[Path, dict[str, Descriptor]],
) -> None:
    root, images = store
    http = client(root)
    layer = Layout.open(root).read_json(images["app/c1"].digest)["layers"][0]["digest"]
    assert http.get(f"/v2/app/c1/blobs/{layer}").content == b"payload 1"
    assert http.get(f"/v2/app/c0/blobs/{layer}").status_code == 404
    manifest = http.get(f"/v2/app/c1/manifests/{images['app/c1'].digest}")
    assert manifest.headers["docker-content-digest"] == images["app/c1"].digest
    assert http.get(f"/v2/app/c1/manifests/{layer}").status_code == 404  # not a manifest


def test_a_login_is_asked_for_every_request(
    store: tuple[Path, dict[str, Descriptor]], tmp_path: Path
) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    (tmp_path / "users").write_text(f"site:{hashed}\n")
    http = client(store[0], Htpasswd.load(tmp_path / "users"))
    refused = http.get("/v2/")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic ")
    assert refused.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert http.get("/v2/", headers={"Authorization": basic("site", "pw")}).status_code == 200
    write = http.put("/v2/app/c0/manifests/x", headers={"Authorization": basic("site", "pw")})
    assert write.status_code == 405


def test_a_blob_being_sent_holds_a_lease_until_the_end(
    store: tuple[Path, dict[str, Descriptor]],
) -> None:
    root, images = store
    layer = Layout.open(root).read_json(images["app/c0"].digest)["layers"][0]["digest"]

    async def send() -> None:
        chunks = _stream(root, layer, ByteRange(0, 9, partial=False))
        assert await chunks.__anext__() == b"payload 0"
        assert Layout(root).collect_garbage(wait=False) is None  # gc must wait
        await chunks.aclose()
        assert Layout(root).collect_garbage(wait=False) == (0, 0)

    # In a thread of its own: Playwright's sync API (the console tests, same process) keeps an
    # event loop running in the main thread, where anyio.run would refuse to start.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, send).result()
