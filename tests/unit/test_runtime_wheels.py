"""Which wheels the site runtime carries for each target: tags, markers, Requires-Python,
speed-ups left out, and what an offline wheelhouse lacks (wheels made here, no PyPI)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from sealift.errors import RuntimeBuildError
from sealift.runtime.build import oldest_glibc
from sealift.runtime.fetch import resolve_all, sealift_requirements
from sealift.runtime.resolve import resolve
from sealift.runtime.wheels import Target, load_wheel, wheelhouse

CP39 = Target((3, 9), "x86_64")
CP311 = Target((3, 11), "x86_64")
CP313_ARM = Target((3, 13), "aarch64")


def make_wheel(directory: Path, filename: str, *requires: str, python: str = "") -> Path:
    name, version = filename.split("-")[:2]
    lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    lines += [f"Requires-Dist: {req}\n" for req in requires]
    lines += [f"Requires-Python: {python}\n"] if python else []
    path = directory / filename
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}-{version}.dist-info/METADATA", "".join(lines))
        archive.writestr(f"{name}/__init__.py", "")
    return path


def chosen(directory: Path, target: Target, *requirements: str) -> list[str]:
    result = resolve([Requirement(r) for r in requirements], wheelhouse(directory), target)
    assert not result.missing, result.missing
    return sorted(w.filename for w in result.chosen.values())


def test_the_oldest_abi3_wheel_serves_every_newer_python(tmp_path: Path) -> None:
    make_wheel(tmp_path, "crypto-50.0-cp39-abi3-manylinux_2_28_x86_64.whl")
    make_wheel(tmp_path, "crypto-50.0-cp311-abi3-manylinux_2_28_x86_64.whl")
    for target in (CP39, CP311):
        assert chosen(tmp_path, target, "crypto==50.0") == [
            "crypto-50.0-cp39-abi3-manylinux_2_28_x86_64.whl"
        ]


def test_a_wheel_runs_only_on_its_python_machine_and_glibc(tmp_path: Path) -> None:
    wheels = {
        "exact": "core-2.0-cp39-cp39-manylinux2014_x86_64.whl",
        "arm": "core-2.0-cp39-cp39-manylinux_2_17_aarch64.whl",
        "new-glibc": "core-2.0-cp39-cp39-manylinux_2_34_x86_64.whl",
        "abi3-311": "core-2.0-cp311-abi3-manylinux_2_17_x86_64.whl",
        "pure": "core-2.0-py3-none-any.whl",
    }
    runs = {key: load_wheel(tmp_path / name).rank(CP39) is not None for key, name in wheels.items()}
    assert runs == {
        "exact": True,
        "arm": False,
        "new-glibc": False,  # glibc 2.34 is newer than the 2.28 the runtime promises
        "abi3-311": False,
        "pure": True,
    }
    assert load_wheel(tmp_path / wheels["arm"]).rank(CP313_ARM) is None  # cp39 only


def test_the_platform_wheel_wins_over_the_pure_one(tmp_path: Path) -> None:
    make_wheel(tmp_path, "core-2.0-py3-none-any.whl")
    make_wheel(tmp_path, "core-2.0-cp311-cp311-manylinux2014_x86_64.whl")
    assert chosen(tmp_path, CP311, "core") == ["core-2.0-cp311-cp311-manylinux2014_x86_64.whl"]
    assert chosen(tmp_path, CP39, "core") == ["core-2.0-py3-none-any.whl"]


def test_markers_are_evaluated_for_the_target_not_the_builder(tmp_path: Path) -> None:
    make_wheel(
        tmp_path,
        "anyio-4.0-py3-none-any.whl",
        'exceptiongroup>=1.0; python_version < "3.11"',
        "trio; extra == 'trio'",
        'pywin; sys_platform == "win32"',
        'armonly; platform_machine == "aarch64"',
    )
    make_wheel(tmp_path, "exceptiongroup-1.2-py3-none-any.whl")
    make_wheel(tmp_path, "armonly-1.0-py3-none-any.whl")
    assert chosen(tmp_path, CP39, "anyio") == [
        "anyio-4.0-py3-none-any.whl",
        "exceptiongroup-1.2-py3-none-any.whl",
    ]
    assert chosen(tmp_path, CP311, "anyio") == ["anyio-4.0-py3-none-any.whl"]
    assert "armonly-1.0-py3-none-any.whl" in chosen(tmp_path, CP313_ARM, "anyio")


def test_the_newest_release_that_supports_the_python_is_taken(tmp_path: Path) -> None:
    make_wheel(tmp_path, "lib-1.0-py3-none-any.whl", python=">=3.8")
    make_wheel(tmp_path, "lib-2.0-py3-none-any.whl", python=">=3.10")
    make_wheel(tmp_path, "lib-3.0b1-py3-none-any.whl")  # a pre-release is never taken unasked
    assert chosen(tmp_path, CP39, "lib") == ["lib-1.0-py3-none-any.whl"]
    assert chosen(tmp_path, CP311, "lib") == ["lib-2.0-py3-none-any.whl"]


def test_python_3_9_0_and_3_9_1_exclusions_do_not_refuse_bullseye(tmp_path: Path) -> None:
    make_wheel(
        tmp_path, "crypto-46.0-cp39-abi3-manylinux2014_x86_64.whl", python=">=3.9,!=3.9.0,!=3.9.1"
    )
    assert chosen(tmp_path, CP39, "crypto") == ["crypto-46.0-cp39-abi3-manylinux2014_x86_64.whl"]


def test_a_speed_up_is_left_out_for_its_pure_wheel(tmp_path: Path) -> None:
    make_wheel(tmp_path, "charset_normalizer-3.5-cp39-cp39-manylinux2014_x86_64.whl")
    result = resolve([Requirement("charset-normalizer")], wheelhouse(tmp_path), CP39)
    assert [str(r) for r in result.missing] == ["charset-normalizer"]
    make_wheel(tmp_path, "charset_normalizer-3.5-py3-none-any.whl")
    assert chosen(tmp_path, CP39, "charset-normalizer") == [
        "charset_normalizer-3.5-py3-none-any.whl"
    ]


def test_two_requirements_that_disagree_are_refused(tmp_path: Path) -> None:
    make_wheel(tmp_path, "a-1.0-py3-none-any.whl", "c>=2")
    make_wheel(tmp_path, "c-1.0-py3-none-any.whl")
    make_wheel(tmp_path, "c-2.0-py3-none-any.whl")
    with pytest.raises(RuntimeBuildError, match="pin a version"):
        resolve([Requirement("c==1.0"), Requirement("a")], wheelhouse(tmp_path), CP39)


def test_an_offline_wheelhouse_that_lacks_a_wheel_says_how_to_fill_it(tmp_path: Path) -> None:
    make_wheel(tmp_path, "core-2.0-cp39-cp39-manylinux2014_x86_64.whl")
    with pytest.raises(RuntimeBuildError) as caught:
        resolve_all(tmp_path, [Requirement("core==2.0")], download=False)
    assert "core==2.0 on cp310-x86_64" in caught.value.message
    assert f"sealift runtime fetch --wheelhouse {tmp_path}" in caught.value.message


def test_sealift_requirements_are_the_pins_without_the_dev_extra() -> None:
    names = {req.name for req in sealift_requirements()}
    assert {"click", "pydantic", "cryptography"} <= names
    assert not names & {"pytest", "mypy", "ruff"}
    assert all(str(req.specifier).startswith("==") for req in sealift_requirements())


@pytest.mark.parametrize(
    ("filename", "glibc"),
    [
        ("x-1-cp39-cp39-manylinux2014_x86_64.manylinux_2_17_x86_64.whl", 17),
        ("x-1-cp39-abi3-manylinux_2_28_aarch64.whl", 28),
        ("x-1-cp39-cp39-manylinux1_x86_64.manylinux_2_28_x86_64.whl", 5),
    ],
)
def test_the_glibc_a_wheel_needs_is_its_oldest_tag(
    tmp_path: Path, filename: str, glibc: int
) -> None:
    assert oldest_glibc(load_wheel(make_wheel(tmp_path, filename))) == glibc
