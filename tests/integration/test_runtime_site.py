"""The site runtime for real: sealift.pyz built from the wheelhouse (no download), carried
in a signed bundle, taken out with nothing but tar, and run by Debian's /usr/bin/python3
with no network (`unshare -n`), no venv and a noexec TMPDIR (`unshare -m`)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sealift.bundle.tarstream import TarReader
from sealift.runtime.build import BuildRequest, write_runtime
from sealift.runtime.fetch import sealift_requirements
from sealift.runtime.info import read_runtime
from sitepyz import runtime_pyz, wheelhouse
from tests.conftest import run_sealift
from tests.imagebuild import build_image

PREFIX = "sl-rt"
SITE_PYTHON = "/usr/bin/python3"  # Debian's own, outside any venv


@pytest.fixture(scope="module")
def pyz() -> Path:
    return runtime_pyz()


@pytest.fixture(scope="module")
def vendor(
    docker_client: docker.DockerClient, pyz: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Path]]:
    """A signed bundle of shop:1.0.0 that carries the runtime, and its public key."""
    work = tmp_path_factory.mktemp("rt-vendor")
    tag = f"{PREFIX}-web:1.0.0"
    build_image(docker_client, tag, files={"/www/index.html": "web 1.0.0"})
    try:
        home = work / "home"
        home.mkdir()
        model = work / "sealift.yaml"
        model.write_text(
            "schema: sealift/v1\nname: shop\nversion: 1.0.0\n"
            f"components:\n  web:\n    image: {tag}\n"
        )
        run_sealift(home, "publish", str(model), "--source", "engine")
        run_sealift(home, "keygen", "-o", str(work / "key"))
        bundle = work / "shop-1.0.0.tar"
        run_sealift(
            home, "export", "shop:1.0.0", "-o", str(bundle), "--runtime", str(pyz),
            "--sign", str(work / "key.key"),
        )  # fmt: skip
        yield {"bundle": bundle, "pub": work / "key.pub", "home": home, "work": work}
    finally:
        docker_client.images.remove(tag, force=True)


def site_run(
    site: Path, pyz: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python3 sealift.pyz ARGS` as a bare site runs it: Debian's python3, no network, no
    venv on PATH, HOME in `site`, and TMPDIR a read-only noexec tmpfs (a mount namespace of
    its own): nothing may need a temporary file outside sealift's own directories."""
    noexec = site / "noexec-tmp"
    noexec.mkdir(exist_ok=True)
    command = shlex.join([SITE_PYTHON, str(pyz), "--home", str(site / "sl"), *args])
    script = f"mount -t tmpfs -o ro,noexec,nosuid,size=1m tmpfs {noexec} && exec {command}"
    clean = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(site),
        "TMPDIR": str(noexec),
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    return subprocess.run(
        ["unshare", "-m", "-n", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=clean,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, vendor: dict[str, Path]) -> dict[str, Path]:
    """The site: sealift.pyz taken out of the bundle with tar alone."""
    site = tmp_path_factory.mktemp("rt-site")
    subprocess.run(
        ["tar", "-xf", str(vendor["bundle"]), "sealift.pyz"], cwd=site, check=True, timeout=60
    )
    return {"dir": site, "pyz": site / "sealift.pyz"}


def test_tar_alone_takes_the_runtime_out_of_the_bundle(pyz: Path, site: dict[str, Path]) -> None:
    assert site["pyz"].read_bytes() == pyz.read_bytes()
    assert os.access(site["pyz"], os.X_OK)  # the member is 0755


def test_version_says_what_it_carries_on_a_bare_site(site: dict[str, Path]) -> None:
    done = site_run(site["dir"], site["pyz"], "version", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["python_executable"] == SITE_PYTHON
    assert report["runtime"]["pythons"] == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    assert report["runtime"]["machines"] == ["x86_64", "aarch64"]
    extracted = Path(site["dir"], ".cache", "sealift", "runtime", report["runtime"]["id"])
    assert sorted(p.name for p in extracted.iterdir()) == ["cp311-x86_64"]  # not in TMPDIR
    text = site_run(site["dir"], site["pyz"], "version")
    assert "carries CPython 3.9-3.13 on x86_64, aarch64" in text.stdout


def test_a_noexec_sealift_home_is_passed_over_for_the_user_cache(site: dict[str, Path]) -> None:
    noexec = str(site["dir"] / "noexec-tmp")
    done = site_run(site["dir"], site["pyz"], "version", "--json", env={"SEALIFT_HOME": noexec})
    assert done.returncode == 0, done.stderr
    assert (site["dir"] / ".cache" / "sealift" / "runtime").is_dir()


def test_help_lists_the_site_commands(site: dict[str, Path]) -> None:
    done = site_run(site["dir"], site["pyz"], "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: python3 {site['pyz']}")  # what the site types
    for command in ("import", "install", "upgrade", "rollback", "status", "version"):
        assert f"  {command} " in done.stdout


def test_import_and_inspect_a_signed_bundle_with_no_network(
    site: dict[str, Path], vendor: dict[str, Path]
) -> None:
    bundle = str(vendor["bundle"])
    done = site_run(site["dir"], site["pyz"], "import", bundle, "--verify", str(vendor["pub"]))
    assert done.returncode == 0, done.stderr
    assert "imported shop:1.0.0" in done.stdout + done.stderr
    inspected = site_run(site["dir"], site["pyz"], "bundle", "inspect", bundle, "--json")
    runtime = json.loads(inspected.stdout)["runtime"]
    assert runtime["member"] == "sealift.pyz" and runtime["glibc"] == "2.28"
    assert runtime["size"] == site["pyz"].stat().st_size
    text = site_run(site["dir"], site["pyz"], "bundle", "inspect", bundle).stdout
    assert "runtime    sealift.pyz (sealift 0.1.0, " in text
    assert "CPython 3.9-3.13 on x86_64, aarch64 (glibc >= 2.28)" in text
    listed = site_run(site["dir"], site["pyz"], "market", "list", "--json")
    assert "shop" in listed.stdout


def test_install_without_a_docker_engine_says_so_in_one_line(site: dict[str, Path]) -> None:
    done = site_run(
        site["dir"], site["pyz"], "install", "shop:1.0.0",
        env={"DOCKER_HOST": f"unix://{site['dir']}/no-docker.sock"},
    )  # fmt: skip
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Docker engine is not reachable" in errors[0]
    assert "Traceback" not in done.stderr


def test_the_commands_an_error_suggests_are_as_this_site_types_them(
    site: dict[str, Path],
) -> None:
    done = site_run(site["dir"], site["pyz"], "install", "nosuch:1.0.0")
    assert done.returncode == 1
    typed = f"python3 {site['pyz']}"
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: nosuch:1.0.0 is not in the market; `{typed} market list` shows what is, "
        f"`{typed} publish` or `{typed} import` adds to it"
    )


def test_an_unsupported_machine_gets_one_line(site: dict[str, Path]) -> None:
    done = subprocess.run(
        ["setarch", "i686", SITE_PYTHON, str(site["pyz"]), "version"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: sealift 0.1.0 runs on x86_64 and aarch64 (arm64) Linux; this machine is i686"
    ]


def test_skopeo_still_reads_a_bundle_that_carries_the_runtime(vendor: dict[str, Path]) -> None:
    done = subprocess.run(
        ["skopeo", "inspect", f"oci-archive:{vendor['bundle']}:shop/web:1.0.0"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Architecture"] == "amd64"


def runtime_offset(bundle: Path) -> int:
    with bundle.open("rb") as handle:
        reader = TarReader(handle)
        while (member := reader.next()) is not None:
            if member.name == "sealift.pyz":
                return member.offset + member.size // 2
            reader.skip_data(member)
    raise AssertionError("no sealift.pyz member")


def test_a_changed_byte_in_the_runtime_refuses_the_signed_bundle(
    vendor: dict[str, Path], tmp_path: Path
) -> None:
    bundle = tmp_path / "tampered.tar"
    shutil.copyfile(vendor["bundle"], bundle)
    offset = runtime_offset(bundle)
    with bundle.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))
    home = tmp_path / "home"
    home.mkdir()
    done = run_sealift(home, "import", str(bundle), "--verify", str(vendor["pub"]), check=False)
    assert done.returncode != 0
    assert "sealift.pyz does not match sealift-bundle.json" in done.stderr
    assert (
        not (home / "store" / "index.json").exists()
        or "shop" not in (home / "store" / "index.json").read_text()
    )


def test_export_with_runtime_builds_from_the_wheelhouse(
    vendor: dict[str, Path], tmp_path: Path
) -> None:
    """--with-runtime takes the cached build of $SEALIFT_HOME/runtime, made from
    $SEALIFT_WHEELHOUSE (offline), and carries it right after the manifest."""
    out = tmp_path / "shop.tar"
    env = {"SEALIFT_WHEELHOUSE": str(wheelhouse())}
    run_sealift(vendor["home"], "export", "shop:1.0.0", "-o", str(out), "--with-runtime", env=env)
    cached = sorted((vendor["home"] / "runtime").glob("sealift-*.pyz"))
    assert len(cached) == 1
    with tarfile.open(out) as tar:
        assert tar.getnames()[:3] == ["sealift-bundle.json", "sealift.pyz", "oci-layout"]
        member = tar.extractfile("sealift.pyz")
        assert member is not None and member.read() == cached[0].read_bytes()
    assert read_runtime(cached[0]).pythons == ["3.9", "3.10", "3.11", "3.12", "3.13"]


def test_the_same_inputs_build_the_same_bytes(tmp_path: Path) -> None:
    request = BuildRequest(home=tmp_path, wheelhouse=wheelhouse())
    built = [tmp_path / "one.pyz", tmp_path / "two.pyz"]
    for out in built:
        write_runtime(out, request, sealift_requirements())
    assert built[0].read_bytes() == built[1].read_bytes()
    assert built[0].stat().st_size < 40 * 1000 * 1000  # the size target of issue 9


def test_a_split_bundle_carries_the_runtime_whole_in_its_first_part(
    vendor: dict[str, Path], pyz: Path, tmp_path: Path
) -> None:
    out = tmp_path / "shop.tar"
    small = run_sealift(vendor["home"], "export", "shop:1.0.0", "-o", str(out),
                        "--runtime", str(pyz), "--split", "8M", check=False)  # fmt: skip
    assert small.returncode != 0
    assert "the first part must hold sealift.pyz" in small.stderr
    assert not list(tmp_path.glob("shop.tar*"))
    part = pyz.stat().st_size + 64 * 1024
    run_sealift(vendor["home"], "export", "shop:1.0.0", "-o", str(out),
                "--runtime", str(pyz), "--split", f"{part // 1024}K")  # fmt: skip
    first = tmp_path / "shop.tar.part001"
    assert (tmp_path / "shop.tar.part002").exists()
    subprocess.run(["tar", "-xf", str(first), "--occurrence", "sealift.pyz"], cwd=tmp_path,
                   check=True, timeout=60)  # fmt: skip
    assert (tmp_path / "sealift.pyz").read_bytes() == pyz.read_bytes()
