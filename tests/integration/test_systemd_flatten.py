"""Flattening an image built by the real Docker engine gives the same tree as `docker
export` of a container of that image: whiteouts, opaque directories, hard links,
symlinks, special modes, owners and times all as the engine has them."""

from __future__ import annotations

import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from flattening import export_image, snapshot
from imagebuild import build_image
from sealift.oci.copy import copy_image
from sealift.oci.layout import Layout
from sealift.targets.systemd.flatten import flatten_image, image_config

pytestmark = pytest.mark.docker
TAG = f"sl-flat-{uuid.uuid4().hex[:8]}:1"

LONG = "d" * 60 + "/" + "n" * 120
STEPS = [
    # layer: a tree with every kind of entry
    "mkdir -p /etc && echo 'root:x:0:0::/root:/bin/sh' > /etc/passwd"
    " && echo 'app:x:1234:5678::/owned:/bin/sh' >> /etc/passwd && echo 'grp:x:5679:' > /etc/group"
    " && mkdir -p /data/keep /data/gone /opq/sub /swap/was-dir /sticky /owned/deep"
    " && echo gone > /data/gone/f && echo keep > /data/keep/f && echo old > /opq/old"
    " && echo sub > /opq/sub/s && echo was-file > /swap/was-file && echo x > /swap/was-dir/x"
    " && echo hard > /data/hl1 && ln /data/hl1 /data/hl2 && ln /data/hl1 /data/hl3"
    " && ln -s ../data/keep/f /data/rel && ln -s /data/keep/f /data/abs"
    " && ln -s /nowhere/outside /data/dangling && ln -s /etc /data/outdir"
    " && echo s > /suid && chmod 4755 /suid && echo g > /sgid && chmod 2711 /sgid"
    " && chmod 1777 /sticky && chmod 0700 /owned/deep"
    " && echo o > /owned/deep/f && chown -R 1234:5678 /owned && chown -h 42:43 /data/abs"
    f" && mkdir -p /{LONG.split('/')[0]} && echo long > /{LONG}"
    " && echo utf > '/data/h\u00e9llo w\u00f6rld.txt' && touch -d @1000000000 /data/old",
    # layer: deletions (whiteouts), a hard link broken by a change, a changed owner
    "rm -rf /data/gone && rm /data/keep/f && echo new > /data/keep/g && echo more >> /data/hl2"
    " && chown 7:8 /suid && chmod 4755 /suid",
    # layer: a directory removed and made again (opaque), types swapped
    "rm -rf /opq && mkdir -p /opq && echo new > /opq/new"
    " && rm /swap/was-file && mkdir /swap/was-file && echo in > /swap/was-file/in"
    " && rm -rf /swap/was-dir && echo now-file > /swap/was-dir",
]


@pytest.fixture(scope="module")
def image(docker_client: docker.DockerClient) -> Iterator[str]:
    steps = "\n".join(f"RUN {step}" for step in STEPS)
    extra = f"{steps}\nUSER app:grp\nWORKDIR /owned\nENV A=1 B=x=y\nEXPOSE 8080 53/udp"
    build_image(docker_client, TAG, extra_dockerfile=extra, cmd=["sh", "-c", "sleep 1"])
    yield TAG
    docker_client.images.remove(TAG, force=True)


def test_flatten_matches_docker_export(
    docker_client: docker.DockerClient, image: str, tmp_path: Path
) -> None:
    layout = Layout.create(tmp_path / "store")
    copied = copy_image(layout, image, source="engine")
    root = tmp_path / "roots" / "web.1"
    result = flatten_image(layout, copied.descriptor, root, image=image)
    export_image(docker_client, image, tmp_path / "export")

    ours, theirs = snapshot(root), snapshot(tmp_path / "export")
    assert sorted(ours) == sorted(theirs), set(ours) ^ set(theirs)
    assert {k: v for k, v in ours.items() if v != theirs[k]} == {}
    # the cases the image was built for really are in it
    assert "data/gone" not in ours and "opq/old" not in ours and "opq/new" in ours
    assert ours["data/hl1"][7] == ("data/hl1", "data/hl3") and ours["data/hl2"][7] == ()
    assert ours["suid"][1:4] == (0o4755, 7, 8) and ours["sticky"][1] == 0o1777
    assert ours["data/abs"][2:4] == (42, 43) and ours["data/dangling"][5] == "/nowhere/outside"
    assert ours["data/old"][6] == 1000000000
    assert result.user == "app:grp" and (result.uid, result.gid) == (1234, 5679)
    assert result.home == "/owned"
    assert result.cmd == ["sh", "-c", "sleep 1"] and result.working_dir == "/owned"
    assert result.env["A"] == "1" and result.env["B"] == "x=y"
    assert result.exposed_ports == ["53/udp", "8080/tcp"] and result.warnings == []
    assert not list(root.parent.glob(".web.1.partial-*"))
    assert image_config(layout, copied.descriptor, root) == result


def test_image_has_whiteouts_and_opaque_directories(image: str, tmp_path: Path) -> None:
    """The engine's layers really carry what the comparison above is about."""
    layout = Layout.create(tmp_path / "store")
    manifest = layout.read_json(copy_image(layout, image, source="engine").descriptor.digest)
    names: list[str] = []
    for layer in manifest["layers"]:
        with tarfile.open(layout.blob_path(layer["digest"]), "r:gz") as tar:
            names += [member.name for member in tar]
    assert {"data/.wh.gone", "data/keep/.wh.f", "opq/.wh..wh..opq"} <= set(names)
