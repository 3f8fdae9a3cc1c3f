"""Engine names that collide inside one installation are refused before the engine is
asked anything; the labels that tell volumes apart cannot collide."""

from __future__ import annotations

from typing import Any

import pytest

from sealift.errors import DeployError
from sealift.targets.base import DesiredComponent
from sealift.targets.docker import labels as L
from sealift.targets.docker.ownership import check_names
from sealift.targets.docker.render import volume_name


def component(name: str, volume: str) -> DesiredComponent:
    mount: dict[str, Any] = {"name": volume_name("i", name, volume), "path": "/data"}
    return DesiredComponent(name, {"replicas": 1, "volumes": [mount]})


def test_two_volumes_with_one_engine_name_are_refused() -> None:
    desired = [component("a", "b-c"), component("a-b", "c")]
    with pytest.raises(DeployError, match=r"volumes a/b-c and a-b/c of i would both be"):
        check_names(None, "i", desired)  # type: ignore[arg-type]  # refused before any call


def test_volume_labels_tell_colliding_names_apart() -> None:
    mine = L.volume_labels("c", "x", {"name": "c-x-store-data"})
    theirs = L.volume_labels("c-x", "store", {"name": "c-x-store-data"})
    assert mine == {L.INSTALLATION: "c", L.COMPONENT: "x", L.VOLUME: "x/store-data"}
    assert theirs[L.VOLUME] == "store/data" and theirs[L.INSTALLATION] == "c-x"
    shared = L.volume_labels("c", "x", {"name": "c-files", "shared": True})
    assert shared == {L.INSTALLATION: "c", L.VOLUME: "files"}
