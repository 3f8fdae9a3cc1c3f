"""The bootstrap of sealift.pyz: what it tells a host it cannot run on (one line), the set
it picks, where it extracts (never /tmp) and that two processes extracting at once agree."""

from __future__ import annotations

import ast
import io
import json
import multiprocessing
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sealift.runtime import bootstrap
from sealift.runtime.pyz import BOOTSTRAP, PLACEHOLDER

RUNTIME: dict[str, Any] = {
    "id": "0123456789abcdef",
    "sealift": "0.1.0",
    "pythons": ["3.9", "3.10", "3.11", "3.12", "3.13"],
    "machines": ["x86_64", "aarch64"],
    "glibc": "2.28",
    "sets": {"cp311-x86_64": ["a-1-py3-none-any.whl", "b-1-cp311-cp311-manylinux2014_x86_64.whl"]},
}


def test_the_bootstrap_parses_on_python_3_4() -> None:
    """An old python3 must get to the line that says what the site needs."""
    source = BOOTSTRAP.read_text(encoding="utf-8")
    ast.parse(source, feature_version=(3, 4))
    assert PLACEHOLDER in source


@pytest.mark.parametrize(
    ("version", "implementation", "says"),
    [
        (
            (3, 7, 3),
            "CPython",
            "needs CPython 3.9 to 3.13 (3.9.2 or newer); this python3 is CPython 3.7.3",
        ),
        ((3, 9, 1), "CPython", "this python3 is CPython 3.9.1: install a newer python3"),
        ((3, 14, 0), "CPython", "carries CPython 3.9 to 3.13; this python3 is CPython 3.14.0"),
        ((3, 10, 13), "PyPy", "this python3 is PyPy 3.10.13"),
    ],
)
def test_a_python_the_runtime_does_not_carry_is_named(
    version: tuple[int, ...], implementation: str, says: str
) -> None:
    problem = bootstrap.python_problem(version, implementation, RUNTIME)
    assert says in problem
    assert problem.startswith("sealift 0.1.0 ") and "\n" not in problem


@pytest.mark.parametrize("version", [(3, 9, 2), (3, 11, 2), (3, 13, 0)])
def test_a_carried_python_has_no_problem(version: tuple[int, ...]) -> None:
    assert bootstrap.python_problem(version, "CPython", RUNTIME) == ""


@pytest.mark.parametrize(
    ("machine", "libc", "says"),
    [
        (
            "ppc64le",
            ("glibc", "2.36"),
            "runs on x86_64 and aarch64 (arm64) Linux; this machine is ppc64le",
        ),
        ("x86_64", ("", ""), "needs a Linux with glibc 2.28 or newer"),
        ("aarch64", ("glibc", "2.24"), "needs glibc 2.28 or newer; this host has glibc 2.24"),
        ("x86_64", ("glibc", "2.31"), ""),
        ("arm64", ("glibc", "2.36"), ""),
        ("AMD64", ("glibc", "2.28"), ""),
    ],
)
def test_machine_and_c_library(machine: str, libc: tuple[str, str], says: str) -> None:
    problem = bootstrap.machine_problem(machine, libc, RUNTIME)
    assert (says in problem) if says else problem == ""


def test_this_host_is_a_glibc_host_the_runtime_runs_on() -> None:
    assert bootstrap.host_libc()[0] == "glibc"
    assert bootstrap.host_problem(RUNTIME) == ""


def test_the_set_is_named_by_python_and_machine() -> None:
    assert bootstrap.set_name((3, 11, 2, "final", 0), "aarch64") == "cp311-aarch64"
    assert bootstrap.MACHINES["arm64"] == "aarch64"


def test_cache_places_prefer_sealift_home_then_the_user_cache_never_tmp(tmp_path: Path) -> None:
    archive = str(tmp_path / "media" / "sealift.pyz")
    env = {"SEALIFT_HOME": "/srv/sl", "XDG_CACHE_HOME": "/home/u/.c", "HOME": "/home/u"}
    assert bootstrap.cache_candidates(archive, env) == [
        "/srv/sl/runtime",
        "/home/u/.c/sealift/runtime",
        str(tmp_path / "media" / ".sealift-runtime"),
    ]
    plain = bootstrap.cache_candidates(archive, {})
    assert plain[0] == os.path.expanduser("~/.cache/sealift/runtime")
    assert not any(place.startswith("/tmp/") for place in plain[:1])


def fake_runtime(tmp_path: Path) -> str:
    archive = tmp_path / "sealift.pyz"
    with zipfile.ZipFile(archive, "w") as outer:
        for name in RUNTIME["sets"]["cp311-x86_64"]:
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w") as wheel:
                wheel.writestr(f"{name.split('-')[0]}/__init__.py", f"NAME = {name!r}\n")
            outer.writestr(f"wheels/{name}", inner.getvalue())
    return str(archive)


def test_extraction_is_complete_and_carries_the_manifest(tmp_path: Path) -> None:
    archive = fake_runtime(tmp_path)
    env = {"SEALIFT_HOME": str(tmp_path / "home")}
    found = bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", env)
    assert found == str(tmp_path / "home" / "runtime" / RUNTIME["id"] / "cp311-x86_64")
    assert sorted(os.listdir(found)) == ["a", "b", "sealift-runtime.json"]
    assert json.loads(Path(found, "sealift-runtime.json").read_text())["set"] == "cp311-x86_64"
    assert bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", env) == found  # reused


def _extract(args: tuple[str, str]) -> str:
    archive, home = args
    return bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", {"SEALIFT_HOME": home})


def test_processes_extracting_at_once_all_get_one_complete_directory(tmp_path: Path) -> None:
    archive = fake_runtime(tmp_path)
    home = str(tmp_path / "home")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        found = pool.map(_extract, [(archive, home)] * 8)
    assert len(set(found)) == 1
    assert sorted(os.listdir(found[0])) == ["a", "b", "sealift-runtime.json"]
    leftovers = os.listdir(Path(found[0]).parent)
    assert leftovers == ["cp311-x86_64"]  # no temporary directory is left behind


def test_an_unusable_sealift_home_falls_back_to_the_next_place(tmp_path: Path) -> None:
    archive = fake_runtime(tmp_path)
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    env = {"SEALIFT_HOME": str(blocked), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    found = bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", env)
    assert found.startswith(str(tmp_path / "cache" / "sealift" / "runtime"))


def test_the_host_site_packages_never_shadow_the_runtime() -> None:
    path = [
        "/media/sealift.pyz",
        "/usr/lib/python311.zip",
        "/usr/lib/python3.11",
        "/usr/lib/python3.11/lib-dynload",
        "/usr/local/lib/python3.11/dist-packages",
        "/usr/lib/python3/dist-packages",
        "/home/u/.local/lib/python3.11/site-packages",
    ]
    assert bootstrap.own_path(path, "/media/sealift.pyz") == [
        "/usr/lib/python311.zip",
        "/usr/lib/python3.11",
        "/usr/lib/python3.11/lib-dynload",
    ]


def test_runtimes_no_start_used_for_a_month_are_removed_after_a_new_one(
    tmp_path: Path,
) -> None:
    """After an extraction: the new runtime and the one used last always stay, the others
    go once unused for 30 days; what is not an extracted runtime is never touched."""
    base = tmp_path / "runtime"
    now = time.time()
    ages = {"a" * 16: 0, "b" * 16: 40, "c" * 16: 10, "d" * 16: 50, "e" * 16: 45}
    for name, days in ages.items():
        (base / name / "cp311-x86_64").mkdir(parents=True)
        os.utime(base / name, (now - days * 86400, now - days * 86400))
    (base / "sealift-0.1.0-0123.pyz").write_bytes(b"a built runtime of `runtime build`")
    (base / "notes").mkdir()
    os.utime(base / "notes", (now - 90 * 86400, now - 90 * 86400))
    bootstrap.forget_old(str(base), "e" * 16)  # e was just extracted (its time is the zip's)
    assert sorted(os.listdir(base)) == [
        "a" * 16,
        "c" * 16,
        "e" * 16,
        "notes",
        "sealift-0.1.0-0123.pyz",
    ]


def test_a_start_marks_its_runtime_as_used(tmp_path: Path) -> None:
    archive = fake_runtime(tmp_path)
    env = {"SEALIFT_HOME": str(tmp_path / "home")}
    found = Path(bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", env))
    os.utime(found.parent, (1, 1))
    bootstrap.extracted(archive, RUNTIME, "cp311-x86_64", env)
    assert found.parent.stat().st_mtime > time.time() - 60
