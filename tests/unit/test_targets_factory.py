"""Picking a target driver; a deferred one is imported only when first used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sealift.errors import DeployError
from sealift.targets.factory import deferred_target


def test_a_deferred_target_imports_its_driver_only_when_used() -> None:
    code = (
        "import sys\nfrom sealift.targets.factory import deferred_target\n"
        "target = deferred_target('docker', settle=0.5)\n"
        "print('docker' in sys.modules)\n"
        "print(target.name, target.settings.settle, 'docker' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "docker", "0.5", "True"]


def test_an_unknown_target_is_refused_at_once() -> None:
    with pytest.raises(DeployError, match=r"unknown target 'k8s'; available: docker"):
        deferred_target("k8s")
