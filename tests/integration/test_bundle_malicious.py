"""Hand-made hostile bundles: each is refused before anything reaches the store or
staging, with one line that names the problem."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sealift.bundle import manifest as bm
from sealift.bundle.importer import ImportOptions, import_bundle
from sealift.bundle.sink import FileSink
from sealift.bundle.tarstream import TarWriter, archive_size
from sealift.errors import BundleError
from sealift.formats import canonical_json
from sealift.market.catalog import Market
from sealift.oci.digest import digest_bytes
from tests.conftest import run_sealift
from tests.integration.test_bundle_support import (
    image,
    publish_synthetic,
    shop_store,
    store_snapshot,
)

Members = list[tuple[tarfile.TarInfo, bytes]]


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> Members:
    home = tmp_path_factory.mktemp("vendor")
    shop_store(home, layer_kib=8)
    out = home.parent / "shop.tar"
    run_sealift(home, "export", "shop:1.0.0", "-o", str(out))
    with tarfile.open(out) as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, b""


def write(path: Path, members: Members) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    path.write_bytes(buf.getvalue())
    return path


def replace_at(members: Members, index: int, new: tuple[tarfile.TarInfo, bytes]) -> Members:
    return [*members[:index], new, *members[index + 1 :]]


def layer_name(members: Members) -> str:
    return members[-1][0].name


CASES: dict[str, tuple[Callable[[Members], Members], str]] = {
    "absolute path": (
        lambda m: replace_at(m, 5, regular("/etc/" + m[5][0].name[13:], m[5][1])),
        "absolute path",
    ),
    "dot-dot": (
        lambda m: replace_at(m, 5, regular("blobs/../../" + m[5][0].name, m[5][1])),
        r"\.\.",
    ),
    "symlink blob": (
        lambda m: replace_at(m, -1, special(layer_name(m), tarfile.SYMTYPE, "/etc/shadow")),
        "symbolic link",
    ),
    "hard link blob": (
        lambda m: replace_at(m, -1, special(layer_name(m), tarfile.LNKTYPE, "index.json")),
        "hard link",
    ),
    "device": (
        lambda m: replace_at(m, -1, special(layer_name(m), tarfile.CHRTYPE)),
        "character device",
    ),
    "symlink first": (
        lambda m: [special("sealift-bundle.json", tarfile.SYMTYPE, "/etc/passwd"), *m[1:]],
        "symbolic link",
    ),
    "duplicate name": (lambda m: [*m[:4], m[3], *m[4:]], "twice"),
    "extra member": (lambda m: [*m, regular("blobs/sha256/" + "0" * 64, b"x")], "extra member"),
    "missing member": (lambda m: m[:-1], "truncated|missing"),
    "out of order": (lambda m: [*m[:3], m[4], m[3], *m[5:]], "where|out of order"),
    "huge json": (
        lambda m: [regular("sealift-bundle.json", b" " * (33 * 1024 * 1024)), *m[1:]],
        "larger than",
    ),
    "deep json": (
        lambda m: [regular("sealift-bundle.json", b"[" * 5000 + b"]" * 5000), *m[1:]],
        "nested deeper",
    ),
    "not a bundle": (lambda m: [regular("README", b"hello"), *m], "not a sealift bundle"),
    "changed index": (
        lambda m: replace_at(m, 2, regular("index.json", m[2][1] + b" ")),
        "index.json",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_bundle_is_refused_before_writing(
    case: str, members: Members, home: Path, tmp_path: Path
) -> None:
    make, message = CASES[case]
    path = write(tmp_path / "evil.tar", make(members))
    market = Market(home / "store")
    before = store_snapshot(home)
    options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
    with pytest.raises(BundleError, match=message):
        import_bundle(market, path, options)
    assert store_snapshot(home) == before
    assert not list((home / "staging" / "blobs" / "sha256").iterdir())
    assert not (tmp_path / "etc").exists()


def test_hostile_bundle_through_the_cli(members: Members, home: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "evil.tar", CASES["symlink blob"][0](members))
    result = run_sealift(home, "import", str(path), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: unsafe bundle: member")
    good = write(tmp_path / "good.tar", members)  # rewritten by Python's tarfile: still fine
    run_sealift(home, "import", str(good))


def rebuilt(path: Path, members: Members, change: Callable[[dict[str, Any]], None]) -> Path:
    """The bundle with its app index changed by `change`, every digest, size and the
    checksum made consistent again: only sealift's own checks can tell."""
    manifest = bm.parse(members[0][1])
    app = manifest.apps[0]
    by_name = {m.name: data for m, data in members}
    old_name = "blobs/sha256/" + app.digest.split(":")[1]
    doc = json.loads(by_name[old_name])
    change(doc)
    data = canonical_json(doc)
    digest = digest_bytes(data)
    new_name = "blobs/sha256/" + digest.split(":")[1]
    index = by_name["index.json"].replace(app.digest.encode(), digest.encode())
    index = index.replace(f'"size":{app.size}'.encode(), f'"size":{len(data)}'.encode(), 1)
    blobs = [
        bm.BlobEntry(digest, len(data), b.kind) if b.digest == app.digest else b
        for b in manifest.blobs
    ]
    manifest = replace(
        manifest,
        apps=[replace(app, digest=digest, size=len(data))],
        index=bm.BlobEntry(digest_bytes(index), len(index), "json"),
        blobs=blobs,
    )
    contents = [(m.name, by_name[m.name]) for m, _ in members[1:]]
    contents = [
        (new_name, data)
        if n == old_name
        else ("index.json", index)
        if n == "index.json"
        else (n, d)
        for n, d in contents
    ]
    for _ in range(4):
        head = manifest.to_bytes()
        size = archive_size([(bm.NAME, len(head))] + [(n, len(d)) for n, d in contents])
        manifest = replace(manifest, size=size)
    sink = FileSink(path)
    tar = TarWriter(sink)
    for name, content in [(bm.NAME, manifest.to_bytes()), *contents]:
        tar.add_bytes(name, content)
    tar.close()
    sink.commit()
    return path


def test_app_index_that_names_itself_otherwise_is_refused(
    members: Members, home: Path, tmp_path: Path
) -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["annotations"]["dev.sealift.app.name"] = "evil"

    path = rebuilt(tmp_path / "renamed.tar", members, rename)
    assert "names itself evil:1.0.0" in run_sealift(home, "import", str(path), check=False).stderr
    assert json.loads(run_sealift(home, "market", "list", "--json").stdout) == []
    honest = rebuilt(tmp_path / "honest.tar", members, lambda doc: None)
    run_sealift(home, "import", str(honest))


def test_a_model_that_does_not_validate_is_refused(home: Path, tmp_path: Path) -> None:
    """Digests and names all consistent, but the app model inside breaks the rules."""
    vendor = tmp_path / "vendor"
    market = Market(vendor / "store")
    web = image(market.layout, [b"layer of web"])

    def break_it(model: dict[str, Any]) -> None:
        model["components"]["web"]["depends_on"] = ["web"]

    publish_synthetic(market, "bad", "1.0.0", {"web": web}, edit_model=break_it)
    bundle = tmp_path / "bad.tar"
    run_sealift(vendor, "export", "bad:1.0.0", "-o", str(bundle))
    result = run_sealift(home, "import", str(bundle), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the model of bad:1.0.0 in this bundle does not validate (components.web."
        "depends_on[0]: component 'web' cannot depend on itself); ask its vendor for a "
        "corrected bundle"
    )
    assert json.loads(run_sealift(home, "market", "list", "--json").stdout) == []
    assert list((home / "store" / "blobs" / "sha256").iterdir()) == []  # all moved back out
