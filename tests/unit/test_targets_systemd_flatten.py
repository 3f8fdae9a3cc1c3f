"""The path logic of flattening (names below a root, resolving inside it, removing a tree
without following symlinks) and reading an image config's process settings."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealift.errors import NotFoundError
from sealift.targets.systemd.imageconfig import parse_env, resolve_user, root_image
from sealift.targets.systemd.rootdir import Refused, RootDir, split_name
from sealift.targets.systemd.unpack import _mtime_ns


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("etc/passwd", ("etc", "passwd")),
        ("./etc//passwd/", ("etc", "passwd")),
        ("/abs/name", ("abs", "name")),
        ("./", ()),
        ("a/./b", ("a", "b")),
        ("..x/x..", ("..x", "x..")),
    ],
)
def test_split_name(name: str, parts: tuple[str, ...]) -> None:
    assert split_name(name) == parts


@pytest.mark.parametrize("name", ["..", "../x", "a/../b", "/../etc", "a/.."])
def test_split_name_refuses_dot_dot(name: str) -> None:
    with pytest.raises(Refused, match=r"'\.\.'"):
        split_name(name)


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[RootDir]:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("in root\n")
    (root / "etc" / "up").symlink_to("../../../../etc")
    (root / "abs").symlink_to("/etc/passwd")
    (root / "loop").symlink_to("loop")
    (root / "out").symlink_to(str(tmp_path))
    (tmp_path / "secret").write_text("outside\n")
    opened = RootDir(root)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("/etc/passwd", ("etc", "passwd")),
        ("/etc/up/passwd", ("etc", "passwd")),  # '..' stops at the root
        ("/abs", ("etc", "passwd")),  # an absolute target starts again at the root
        ("/../../etc/./passwd", ("etc", "passwd")),
    ],
)
def test_resolve_stays_inside(tree: RootDir, path: str, parts: tuple[str, ...]) -> None:
    assert tree.resolve(path) == parts


def test_resolve_an_absolute_link_out_of_the_root(tmp_path: Path, tree: RootDir) -> None:
    """`out` points to the host's tmp_path: inside the root that is <root>/<tmp_path>."""
    assert tree.resolve("/out/secret") == (*tmp_path.parts[1:], "secret")


def test_read_never_leaves_the_root(tree: RootDir) -> None:
    assert tree.read("/abs", 100) == b"in root\n"
    assert tree.read("/out/secret", 100) is None  # resolved to <root>/tmp/.../secret
    assert tree.read("/etc", 100) is None
    with pytest.raises(Refused, match="too many levels"):
        tree.read("/loop", 100)


def test_dir_fd_refuses_symlinks_and_files(tree: RootDir) -> None:
    with pytest.raises(Refused, match="/out, which is a symlink"):
        tree.dir_fd(("out", "x"), create=True)
    with pytest.raises(Refused, match="/etc/passwd, which is not a directory"):
        tree.dir_fd(("etc", "passwd", "x"), create=True)
    assert tree.dir_fd(("new", "deep"), create=False) is None
    assert tree.dir_fd(("new", "deep"), create=True) is not None


def test_remove_does_not_follow_symlinks(tmp_path: Path, tree: RootDir) -> None:
    tree.remove(("out",))
    tree.remove(("etc",))
    assert (tmp_path / "secret").read_text() == "outside\n"
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["abs", "loop"]
    tree.remove(("not", "there"))


def test_trim_keeps_the_root(tree: RootDir) -> None:
    for i in range(300):
        tree.dir_fd(("many", str(i)), create=True)
    tree.trim()
    assert tree.dir_fd(("many", "299")) is not None
    assert tree.lstat(("etc", "passwd")) is not None


def test_parse_env() -> None:
    assert parse_env(["A=1", "B=x=y", "C", "=bad", "D="]) == {
        "A": "1",
        "B": "x=y",
        "C": "",
        "D": "",
    }


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[RootDir]:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n# comment\nweb:x:101:102::/srv/web:/bin/false\nshort:x:7\n"
    )
    (tmp_path / "etc" / "group").write_text("root:x:0:\nstaff:x:50:web\n")
    opened = RootDir(tmp_path)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("user", "ids"),
    [
        ("", (0, 0, "/root")),
        ("web", (101, 102, "/srv/web")),
        ("101", (101, 102, "/srv/web")),
        ("4242", (4242, 0, "/")),
        ("web:staff", (101, 50, "/srv/web")),
        ("web:77", (101, 77, "/srv/web")),
        ("4242:4343", (4242, 4343, "/")),
        ("short", (0, 0, "/")),
    ],
)
def test_resolve_user(accounts: RootDir, user: str, ids: tuple[int, int, str]) -> None:
    account = resolve_user(accounts, user, "img")
    assert (account.uid, account.gid, account.home) == ids


@pytest.mark.parametrize(("user", "word"), [("nobody", "user 'nobody'"), ("web:wheel", "group")])
def test_unknown_names_are_errors(accounts: RootDir, user: str, word: str) -> None:
    with pytest.raises(NotFoundError, match=f"image img: {word}"):
        resolve_user(accounts, user, "img")


def test_root_image_reads_the_config(accounts: RootDir) -> None:
    config = {
        "config": {
            "Entrypoint": ["/entry"],
            "Cmd": None,
            "Env": ["PATH=/bin"],
            "User": "web",
            "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
            "StopSignal": "SIGQUIT",
        }
    }
    image = root_image(config, accounts, "img", ["w"])
    assert (image.entrypoint, image.cmd, image.env) == (["/entry"], [], {"PATH": "/bin"})
    assert (image.working_dir, image.uid, image.gid) == ("/", 101, 102)
    assert image.exposed_ports == ["53/udp", "80/tcp"] and image.stop_signal == "SIGQUIT"
    assert root_image({}, accounts, "img", []).cmd == []


def test_mtime_ns() -> None:
    info = tarfile.TarInfo("x")
    info.mtime = 1_700_000_000
    assert _mtime_ns(info) == 1_700_000_000_000_000_000
    info.mtime = 1.5
    assert _mtime_ns(info) == 1_500_000_000
    info.mtime = -1.5
    assert _mtime_ns(info) == -1_500_000_000
