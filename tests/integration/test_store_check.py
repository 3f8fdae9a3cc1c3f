"""`sealift store check|gc` and `market remove` through the real CLI, on a store that
real publishes made (tiny images from the test registry), then damaged on purpose;
each test follows the advice the check prints and sees the store sound again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sealift.deploy.state import StateDB
from sealift.market.catalog import Market
from tests.conftest import run_sealift, sealift_command
from tests.tinyimages import push_tiny, write_model


@pytest.fixture(scope="module")
def published(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with shop:1.0.0 and shop:1.1.0 (another api image), and shop-1.0.0.tar."""
    work = tmp_path_factory.mktemp("store-check")
    web = push_tiny(registry, "check/web", "1", b"web", work)
    api = push_tiny(registry, "check/api", "1", b"api 1", work)
    api2 = push_tiny(registry, "check/api", "2", b"api 2", work)
    home = work / "home"
    for version, api_image in (("1.0.0", api), ("1.1.0", api2)):
        model = write_model(
            work / f"{version}.yaml", "shop", version, {"web": web, "api": api_image}
        )
        run_sealift(home, "publish", str(model), "--source", "registry")
    run_sealift(home, "export", "shop:1.0.0", "-o", str(work / "shop-1.0.0.tar"))
    return home


@pytest.fixture
def home(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(published, copy)
    return copy


def check(home: Path) -> tuple[int, dict[str, Any]]:
    result = run_sealift(home, "store", "check", "--json", check=False)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def only_blob_of(home: Path, ref: str, media_kind: str) -> str:
    """A blob that `ref` reaches and no other version does."""
    market = Market(home / "store")
    app = market.find(ref)
    others = set().union(*(market.blobs(a) for a in market.list() if a.ref != ref))
    [digest] = [
        d.digest
        for d in market.layout.walk(app.descriptor)
        if d.digest not in others and media_kind in d.media_type
    ]
    return digest


def test_sound_store_passes(home: Path) -> None:
    code, report = check(home)
    assert code == 0 and report["ok"] and report["problems"] == []
    assert report["blobs"] == len(list((home / "store" / "blobs" / "sha256").iterdir()))
    assert report["garbage"]["blobs"] == 0
    text = run_sealift(home, "store", "check").stdout
    assert "the store is sound" in text


def test_flipped_byte_names_the_version_and_the_advice_repairs_it(home: Path) -> None:
    layer = only_blob_of(home, "shop:1.1.0", "layer")
    path = home / "store" / "blobs" / "sha256" / layer[7:]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    code, report = check(home)
    assert code == 1 and not report["ok"]
    [problem] = report["problems"]
    assert (problem["kind"], problem["digest"], problem["versions"]) == (
        "corrupt",
        layer,
        ["shop:1.1.0"],
    )
    assert "`sealift market remove shop:1.1.0`" in problem["fix"]
    text = run_sealift(home, "store", "check", check=False)
    assert text.returncode == 1 and "market remove shop:1.1.0" in text.stdout

    run_sealift(home, "market", "remove", "shop:1.1.0")
    assert check(home)[0] == 0


def test_missing_blob_is_repaired_by_remove_and_import(home: Path, published: Path) -> None:
    layer = only_blob_of(home, "shop:1.0.0", "layer")
    (home / "store" / "blobs" / "sha256" / layer[7:]).unlink()

    code, report = check(home)
    assert code == 1
    [problem] = report["problems"]
    assert (problem["kind"], problem["versions"]) == ("missing", ["shop:1.0.0"])
    assert "import the bundle(s) carrying shop:1.0.0" in problem["fix"]

    run_sealift(home, "market", "remove", "shop:1.0.0")
    run_sealift(home, "import", str(published.parent / "shop-1.0.0.tar"))
    code, report = check(home)
    assert code == 0 and report["ok"]
    run_sealift(home, "export", "shop:1.0.0", "-o", str(home.parent / "again.tar"))


def test_dangling_reference_in_index_json(home: Path) -> None:
    index_path = home / "store" / "index.json"
    index = json.loads(index_path.read_text())
    ghost = dict(index["manifests"][0])
    ghost["digest"] = "sha256:" + "ab" * 32
    ghost["annotations"] = {"org.opencontainers.image.ref.name": "shop:2.0.0"}
    ghost["artifactType"] = "application/vnd.sealift.app.v1"
    index["manifests"].append(ghost)
    index_path.write_text(json.dumps(index))

    code, report = check(home)
    assert code == 1
    [problem] = report["problems"]
    assert (problem["kind"], problem["digest"], problem["refs"]) == (
        "missing",
        ghost["digest"],
        ["shop:2.0.0"],
    )
    run_sealift(home, "market", "remove", "shop:2.0.0")  # a damaged version can be removed
    assert check(home)[0] == 0


def test_unused_blob_is_garbage_not_a_problem_and_gc_frees_it(home: Path) -> None:
    Market(home / "store").layout.put_bytes(b"left by a killed publish")
    code, report = check(home)
    assert code == 0 and report["garbage"]["blobs"] == 1
    assert "sealift store gc" in run_sealift(home, "store", "check").stdout
    result = run_sealift(home, "store", "gc")
    assert "freed 1 blobs" in result.stderr
    assert check(home)[1]["garbage"]["blobs"] == 0


def _install_record(home: Path, name: str, versions: list[str]) -> None:
    """An installation that deployed `versions` in turn (recorded as sealift does)."""
    state = StateDB(home / "state.db")
    state.add_installation(name, "shop", "docker", {})
    for i, version in enumerate(versions):
        rev = state.begin_revision(
            name,
            "install" if i == 0 else "upgrade",
            "shop",
            version,
            "sha256:" + "0" * 64,
            {},
            [],
            [],
        )
        state.finish_revision(name, rev.number, "deployed")


def test_remove_is_refused_while_an_installation_needs_the_version(home: Path) -> None:
    _install_record(home, "shop-a", ["1.0.0", "1.1.0"])
    for ref, why in (("shop:1.1.0", "runs it"), ("shop:1.0.0", "may restore")):
        result = run_sealift(home, "market", "remove", ref, check=False)
        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {ref} is still needed by installation(s) shop-a (")
        assert why in line
    assert {
        a["version"] for a in json.loads(run_sealift(home, "market", "list", "--json").stdout)
    } == {"1.0.0", "1.1.0"}

    _install_record(home, "shop-b", ["1.0.0"])
    StateDB(home / "state.db").delete_installation("shop-a")
    result = run_sealift(home, "market", "remove", "shop:1.0.0", check=False)
    assert "shop-b (runs it)" in result.stderr and "shop-a" not in result.stderr
    run_sealift(home, "market", "remove", "shop:1.1.0")  # nothing needs it any more
    assert check(home)[0] == 0


def test_remove_waits_for_a_reader_and_a_later_export_fails_in_one_line(home: Path) -> None:
    market = Market(home / "store")
    blobs = market.blobs(market.find("shop:1.1.0"))
    with market.layout.lease():  # as a running export holds it
        remove = subprocess.Popen(
            sealift_command(home, "market", "remove", "shop:1.1.0"),
            stderr=subprocess.PIPE,
            text=True,
        )
        assert remove.stderr is not None
        assert "waiting for other commands" in remove.stderr.readline()
        assert all(market.layout.has_blob(d) for d in blobs)  # the reader still has them
        late = run_sealift(home, "export", "shop:1.1.0", "-o", str(home / "x.tar"), check=False)
        assert late.returncode == 1
        [line] = [x for x in late.stderr.splitlines() if x.startswith("error:")]
        assert "shop:1.1.0 is not in the market" in line and "Traceback" not in late.stderr
        assert remove.poll() is None
    assert remove.wait(30) == 0
    assert "removed shop:1.1.0; freed" in remove.stderr.read()
    assert check(home)[0] == 0
