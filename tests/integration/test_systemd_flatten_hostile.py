"""Hostile layers (hand-written tars in a real store, flattened on the real filesystem):
nothing is ever written, removed or read outside the root; each refusal is one line
naming the image and the entry; a refused image leaves no root and no partial directory."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
from pathlib import Path

import pytest

from flattening import Entry, layer_tar, snapshot, store_image
from sealift.errors import NotFoundError, StoreError, UnsafeImageError
from sealift.oci.layout import Layout
from sealift.targets.systemd.flatten import flatten_image

IMAGE = "evil/app:1.0"


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A directory outside the root that no layer may touch."""
    directory = tmp_path / "sentinel"
    directory.mkdir()
    (directory / "secret").write_text("host secret\n")
    (directory / "passwd").write_text("evil:x:5:5::/:/bin/sh\n")
    (directory / "keep").mkdir()
    return directory


def flatten(tmp_path: Path, layers: list[list[Entry]] | list[bytes], **config: object) -> Path:
    layout = Layout.create(tmp_path / "store")
    manifest = store_image(layout, list(layers), dict(config))
    root = tmp_path / "roots" / "app"
    flatten_image(layout, manifest, root, image=IMAGE)
    return root


def refused(tmp_path: Path, sentinel: Path, layers: list[list[Entry]], *words: str) -> str:
    before = snapshot(sentinel)
    with pytest.raises(UnsafeImageError) as caught:
        flatten(tmp_path, layers)
    message = str(caught.value)
    assert message.startswith(f"image {IMAGE}: layer ") and "\n" not in message
    for word in words:
        assert word in message
    assert snapshot(sentinel) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roots", "sentinel", "store"]
    assert list((tmp_path / "roots").iterdir()) == []  # no root, no partial directory
    return message


@pytest.mark.parametrize("name", ["../escape.txt", "a/../../escape.txt", "./x/../y"])
def test_dot_dot_names_are_refused(tmp_path: Path, sentinel: Path, name: str) -> None:
    refused(tmp_path, sentinel, [[("ok", "f", b"ok"), (name, "f", b"x")]], repr(name), "'..'")
    assert not (tmp_path / "escape.txt").exists()


def test_absolute_names_land_inside_the_root(tmp_path: Path, sentinel: Path) -> None:
    before = snapshot(sentinel)
    outside = str(sentinel / "secret")
    root = flatten(tmp_path, [[("/abs.txt", "f", b"a"), (outside, "f", b"overwritten")]])
    assert (root / "abs.txt").read_bytes() == b"a"
    assert (root / outside.lstrip("/")).read_bytes() == b"overwritten"
    assert snapshot(sentinel) == before


@pytest.mark.parametrize("target", ["SENTINEL", "../../../../../../../../SENTINEL", "."])
def test_writing_through_a_symlink_is_refused(tmp_path: Path, sentinel: Path, target: str) -> None:
    link = target.replace("SENTINEL", str(sentinel).lstrip("/"))
    link = "/" + link if target == "SENTINEL" else link
    layers = [[("link", "s", link)], [("link/pwned", "f", b"x")]]
    refused(tmp_path, sentinel, layers, "layer 2", "'link/pwned'", "/link, which is a symlink")


def test_symlink_in_a_deeper_directory_is_refused(tmp_path: Path, sentinel: Path) -> None:
    layers = [[("usr", "d"), ("usr/lib", "s", str(sentinel)), ("usr/lib/keep/x.so", "f", b"x")]]
    refused(tmp_path, sentinel, layers, "layer 1", "/usr/lib, which is a symlink")


@pytest.mark.parametrize(
    ("link", "why"),
    [
        ("../sentinel/secret", "'..'"),
        ("SENTINEL/secret", "which is not in the image"),
        ("out/secret", "/out, which is a symlink"),
        ("bin", "a directory"),
    ],
)
def test_hard_links_stay_inside(tmp_path: Path, sentinel: Path, link: str, why: str) -> None:
    link = link.replace("SENTINEL", str(sentinel))
    layers = [[("bin", "d"), ("out", "s", str(sentinel)), ("hl", "h", link)]]
    refused(tmp_path, sentinel, layers, "'hl'", why)


@pytest.mark.parametrize("name", ["sub/.wh...", ".wh...", "sub/.wh..", "sub/.wh."])
def test_whiteout_of_dot_dot_is_refused(tmp_path: Path, sentinel: Path, name: str) -> None:
    refused(tmp_path, sentinel, [[("sub", "d")], [(name, "f", b"")]], "whites out")


@pytest.mark.parametrize("whiteout", ["link/.wh.secret", "link/.wh..wh..opq"])
def test_whiteouts_through_a_symlink_are_refused(
    tmp_path: Path, sentinel: Path, whiteout: str
) -> None:
    layers = [[("link", "s", str(sentinel))], [(whiteout, "f", b"")]]
    refused(tmp_path, sentinel, layers, "/link, which is a symlink")
    assert (sentinel / "secret").read_text() == "host secret\n"


def test_device_nodes_are_skipped_with_a_warning(tmp_path: Path, sentinel: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    entries: list[Entry] = [("dev", "d"), ("dev/sda", "c"), ("disk", "c"), ("fifo", "p")]
    manifest = store_image(layout, [entries])
    result = flatten_image(layout, manifest, tmp_path / "root", image=IMAGE)
    assert result.warnings == ["2 device nodes skipped: /dev/sda, /disk"]
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["dev", "fifo"]
    assert list((tmp_path / "root" / "dev").iterdir()) == []
    assert (tmp_path / "root" / "fifo").is_fifo()


def test_a_symlink_replaced_by_a_file_is_not_followed(tmp_path: Path, sentinel: Path) -> None:
    before = snapshot(sentinel)
    layers = [
        [("etc", "d"), ("etc/passwd", "s", str(sentinel / "secret")), ("d", "s", str(sentinel))],
        [("etc/passwd", "f", b"root:x:0:0::/:/bin/sh\n"), ("d", "d"), ("d/x", "f", b"x")],
    ]
    root = flatten(tmp_path, layers)
    assert (root / "etc" / "passwd").read_bytes() == b"root:x:0:0::/:/bin/sh\n"
    assert not (root / "etc" / "passwd").is_symlink()
    assert (root / "d").is_dir() and not (root / "d").is_symlink()
    assert snapshot(sentinel) == before


def test_accounts_are_read_inside_the_root(tmp_path: Path, sentinel: Path) -> None:
    """/etc/passwd a symlink to the host's file: resolved inside the root, where the
    user does not exist."""
    layers = [[("etc", "d"), ("etc/passwd", "s", str(sentinel / "passwd"))]]
    with pytest.raises(NotFoundError, match="user 'evil' is not in its /etc/passwd"):
        flatten(tmp_path, layers, User="evil")
    assert list((tmp_path / "roots").iterdir()) == []


@pytest.mark.timeout(30)
def test_a_fifo_for_passwd_does_not_hang(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="user 'app'"):
        flatten(tmp_path, [[("etc", "d"), ("etc/passwd", "p")]], User="app")


def test_accounts_follow_symlinks_inside_the_root(tmp_path: Path) -> None:
    layers = [
        [("etc", "d"), ("real", "d"), ("real/pw", "f", b"svc:x:77:88::/srv:/bin/sh\n")],
        [("etc/passwd", "s", "../../../../real/pw")],
    ]
    layout = Layout.create(tmp_path / "store")
    manifest = store_image(layout, list(layers), {"User": "svc"})
    result = flatten_image(layout, manifest, tmp_path / "root", image=IMAGE)
    assert (result.uid, result.gid, result.home) == (77, 88, "/srv")


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        (gzip.compress(b"not a tar at all" * 100), "is not a valid tar"),
        (b"\x28\xb5\x2f\xfd" + b"\0" * 64, "zstd"),
    ],
)
def test_bad_layer_blobs_are_store_errors(tmp_path: Path, blob: bytes, why: str) -> None:
    with pytest.raises(StoreError, match=why):
        flatten(tmp_path, [blob])
    assert list((tmp_path / "roots").iterdir()) == []


def test_uncompressed_and_empty_layers(tmp_path: Path) -> None:
    empty = b"\0" * 1024
    root = flatten(tmp_path, [layer_tar([("a", "f", b"plain")]), empty, gzip.compress(empty)])
    assert sorted(p.name for p in root.iterdir()) == ["a"]
    assert (root / "a").read_bytes() == b"plain"


def test_capabilities_and_user_xattrs_are_kept(tmp_path: Path) -> None:
    """A file capability (cap_net_raw, effective) survives the owner being set; other
    namespaces are left out with a warning."""
    capability = struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("ping")
        info.size, info.mode, info.uid, info.gid = 4, 0o755, 0, 7
        info.pax_headers = {
            "SCHILY.xattr.security.capability": capability.decode("utf-8", "surrogateescape"),
            "SCHILY.xattr.user.note": "kept",
            "SCHILY.xattr.trusted.secret": "no",
        }
        tar.addfile(info, io.BytesIO(b"ping"))
    layout = Layout.create(tmp_path / "store")
    manifest = store_image(layout, [gzip.compress(raw.getvalue())])
    result = flatten_image(layout, manifest, tmp_path / "root", image=IMAGE)
    path = tmp_path / "root" / "ping"
    assert os.getxattr(path, "security.capability") == capability
    assert os.getxattr(path, "user.note") == b"kept"
    assert "trusted.secret" not in os.listxattr(path)
    assert result.warnings == ["extended attribute trusted.secret skipped on 1 entries"]
    assert (path.stat().st_gid, path.stat().st_mode & 0o7777) == (7, 0o755)


def test_a_corrupt_blob_is_found(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    manifest = store_image(layout, [[("a", "f", b"a" * 1000)]])
    layer = layout.read_json(manifest.digest)["layers"][0]["digest"]
    path = layout.blob_path(layer)
    path.chmod(0o644)
    path.write_bytes(gzip.compress(b"\0" * 10240))
    with pytest.raises(StoreError, match="is corrupt in the store"):
        flatten_image(layout, manifest, tmp_path / "root", image=IMAGE)
    assert not (tmp_path / "root").exists()
