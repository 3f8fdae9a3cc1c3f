from __future__ import annotations

import pytest

from sealift.errors import PlatformError
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.platforms import select

AMD, ARM = Platform("linux", "amd64"), Platform("linux", "arm64")


def entry(n: int, platform: Platform) -> Descriptor:
    return Descriptor(
        "application/vnd.oci.image.manifest.v1+json", f"sha256:{n:064x}", 1, platform=platform
    )


ENTRIES = [entry(1, AMD), entry(2, ARM), entry(3, Platform("unknown", "unknown"))]


def test_attestations_are_dropped() -> None:
    assert select("img", ENTRIES, []) == ENTRIES[:2]


def test_narrowing_keeps_requested_order() -> None:
    assert select("img", ENTRIES, [ARM]) == [ENTRIES[1]]
    assert select("img", ENTRIES, [ARM, AMD]) == [ENTRIES[1], ENTRIES[0]]


def test_missing_platform_names_what_the_image_has() -> None:
    with pytest.raises(
        PlatformError,
        match=r"img has no linux/arm/v7 image "
        r"\(it has linux/amd64, linux/arm64\)",
    ):
        select("img", ENTRIES, [Platform.parse("linux/arm/v7")])
