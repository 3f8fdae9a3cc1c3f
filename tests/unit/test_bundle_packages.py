"""`export --as compose` without Docker: what the package holds, its checksums, the `docker
load` archive (one platform, each blob once, every image tagged), atomic writing, and the
refusals that come before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from sealift.bundle.packages import export_package
from sealift.errors import PlatformError, UsageError
from sealift.market.catalog import Market
from sealift.oci.descriptor import Platform
from sealift.targets.base import ImageToLoad
from sealift.targets.docker.images import load_archive, load_archive_size
from sealift.targets.images import manifest_for
from tests.integration.test_bundle_support import shop_store

FOLDER = "shop-1.0.0"


@pytest.fixture
def market(tmp_path: Path) -> Market:
    return shop_store(tmp_path / "home", layer_kib=8)


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def package(market: Market, tmp_path: Path, platform: str = "linux/amd64") -> Path:
    out = tmp_path / "shop.tar"
    export_package(
        market, "shop:1.0.0", "compose", out, generate=lambda n: "s" * n,
        platform=Platform.parse(platform),
    )  # fmt: skip
    return out


def test_the_package_holds_every_file_with_its_checksum(market: Market, tmp_path: Path) -> None:
    files = members(package(market, tmp_path))
    names = sorted(name.removeprefix(f"{FOLDER}/") for name in files)
    assert names == [
        "README.md",
        "SHA256SUMS",
        "defaults.env",
        "docker-compose.yml",
        "images.tar",
        "install.sh",
    ]
    sums = dict(
        reversed(line.split("  ", 1))
        for line in files[f"{FOLDER}/SHA256SUMS"].decode().splitlines()
    )
    assert set(sums) == set(names) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(files[f"{FOLDER}/{name}"]).hexdigest() == digest
    with tarfile.open(tmp_path / "shop.tar") as tar:
        assert tar.getmember(f"{FOLDER}/install.sh").mode == 0o755
    assert b"pull_policy: never" in files[f"{FOLDER}/docker-compose.yml"]
    assert b"image: shop/web:1.0.0" in files[f"{FOLDER}/docker-compose.yml"]
    assert not list(tmp_path.glob("*.tmp"))


def test_sha256sum_checks_the_extracted_package(market: Market, tmp_path: Path) -> None:
    with tarfile.open(package(market, tmp_path)) as tar:
        tar.extractall(tmp_path / "x")
    folder = tmp_path / "x" / FOLDER
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True)
    assert checked.returncode == 0, checked.stdout
    assert subprocess.run(["sh", "-n", "install.sh"], cwd=folder).returncode == 0


def test_images_tar_loads_one_platform_each_blob_once(market: Market, tmp_path: Path) -> None:
    files = members(package(market, tmp_path, "linux/amd64"))  # web and db: amd64 and arm64
    with tarfile.open(fileobj=io.BytesIO(files[f"{FOLDER}/images.tar"])) as inner:
        _check_load_archive(inner)


def _check_load_archive(inner: tarfile.TarFile) -> None:
    names = [m.name for m in inner if m.isfile()]
    assert len(names) == len(set(names))
    index = json.loads(inner.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert sorted(tag for entry in index for tag in entry["RepoTags"]) == [
        "shop/api:1.0.0",
        "shop/db:1.0.0",
        "shop/web:1.0.0",
    ]
    for entry in index:
        config = json.loads(inner.extractfile(entry["Config"]).read())  # type: ignore[union-attr]
        assert config["architecture"] == "amd64"
        assert all(layer in names for layer in entry["Layers"])
    layers = [n for n in names if n.endswith("/layer.tar")]
    every = [layer for entry in index for layer in entry["Layers"]]
    assert len(layers) == len(set(every)) < len(every)  # the shared base layer is in it once


def test_load_archive_size_is_what_it_streams(market: Market) -> None:
    app = market.get("shop", "1.0.0")
    images = []
    for comp in app.components:
        desc = manifest_for(
            market.layout,
            ImageToLoad(comp.name, comp.image, comp.descriptor),
            Platform.parse("linux/amd64"),
        )
        images.append((market.layout.read_json(desc.digest), [f"t/{comp.name}:1"]))
    streamed = b"".join(load_archive(market.layout, images, _Silent()))
    assert len(streamed) == load_archive_size(images)


class _Silent:
    def begin(self, label: str, total: int | None) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def end(self) -> None: ...
    def note(self, text: str) -> None: ...


def test_refusals_come_before_anything_is_written(market: Market, tmp_path: Path) -> None:
    out = tmp_path / "p.tar"
    with pytest.raises(PlatformError, match="linux/s390x"):
        package(market, tmp_path, "linux/s390x")
    with pytest.raises(UsageError, match="--as compose or --as helm"):
        export_package(market, "shop:1.0.0", "zip", out, generate=str)
    with pytest.raises(UsageError, match="does not exist"):
        export_package(market, "shop:1.0.0", "compose", tmp_path / "no" / "p.tar", generate=str)
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]


def _app_package(tmp_path: Path) -> tuple[list[str], Path]:
    """app:1.0.0 with a required parameter, a generated one, and one a secret file needs."""
    from tests.integration.test_bundle_support import image, publish_synthetic

    def edit(model: dict[str, object]) -> None:
        model["parameters"] = {
            "site": {"type": "string", "required": True},
            "password": {"generate": 20, "secret": True},
            "token": {"generate": 12, "secret": True},
        }
        web = model["components"]["web"]  # type: ignore[index]
        web["env"] = {"SITE": "${site}", "PASSWORD": "${password}"}
        web["configs"] = [{"path": "/run/secrets/token", "content": "${token}", "secret": True}]

    market = Market(tmp_path / "home" / "store")
    publish_synthetic(market, "app", "1.0.0", {"web": image(market.layout, [b"x"])}, edit)
    out = tmp_path / "app.tar"
    result = export_package(market, "app:1.0.0", "compose", out, generate=lambda n: "G" * n)
    return result.warnings, out


def test_required_and_generated_values_are_left_to_install_sh(tmp_path: Path) -> None:
    warnings, out = _app_package(tmp_path)
    assert warnings == [
        "parameter token is generated now, as a config file needs it: every site of this "
        "package gets the same value; change it in .env and the config files"
    ]
    files = members(out)
    env = files["app-1.0.0/defaults.env"].decode().splitlines()
    assert "site=''" in env and "password=''" in env and "token='" + "G" * 12 + "'" in env
    assert files["app-1.0.0/secrets/web/run/secrets/token"] == b"G" * 12
    script = files["app-1.0.0/install.sh"].decode()
    assert "head -c 20" in script and "parameter site has no value" in script
    assert "chmod 0400 secrets/web/run/secrets/token" in script


def _stub_tools(folder: Path) -> dict[str, str]:
    """PATH with `docker` and `docker-compose` stubs that log their arguments."""
    folder.mkdir()
    for tool in ("docker", "docker-compose"):
        stub = folder / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >>"$STUB_LOG"\n')
        stub.chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin", "STUB_LOG": str(folder / "log")}


def test_install_sh_asks_for_required_values_and_keeps_generated_ones(tmp_path: Path) -> None:
    _app_package(tmp_path)
    with tarfile.open(tmp_path / "app.tar") as tar:
        tar.extractall(tmp_path / "x")
    folder = tmp_path / "x" / "app-1.0.0"
    env = _stub_tools(tmp_path / "bin")

    def install(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["./install.sh"], cwd=folder, env={**env, **extra}, capture_output=True, text=True
        )

    refused = install()
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: parameter site has no value: set it in .env (site='...'), then run "
        "./install.sh again"
    ]
    env_file = folder / ".env"
    env_file.write_text(env_file.read_text().replace("site=''", "site='example.org'"))
    assert install().returncode == 0
    password = [x for x in env_file.read_text().splitlines() if x.startswith("password=")]
    assert len(password) == 1 and len(password[0]) == len("password=''") + 20
    assert (folder / "secrets/web/run/secrets/token").stat().st_mode & 0o777 == 0o400
    assert env_file.stat().st_mode & 0o777 == 0o600
    log = (tmp_path / "bin" / "log").read_text().splitlines()
    assert "docker load -q -i images.tar" in log and "docker-compose up -d --no-build" in log

    env_file.write_text(env_file.read_text().replace("token=", "old_token="))
    assert install().returncode == 0  # a parameter missing from .env is added back
    after = env_file.read_text().splitlines()
    assert password[0] in after and "token='" + "G" * 12 + "'" in after
