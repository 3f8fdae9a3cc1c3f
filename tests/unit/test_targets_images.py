"""Images are identified by the digest of the platform's manifest in the store, not by tag:
two versions that tag the same image differently plan `keep`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.deploy.plan import make_plan
from sealift.errors import NotFoundError, PlatformError
from sealift.model.load import parse_model_text
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.targets.base import DesiredComponent, ImageToLoad, ObservedComponent
from sealift.targets.docker.render import render
from sealift.targets.images import image_digests

AMD64, ARM64 = Platform.parse("linux/amd64"), Platform.parse("linux/arm64")

MODEL = """
schema: sealift/v1
name: shop
version: %s
components:
  web:
    image: reg.example/shop/web:%s@%s
    env: {LEVEL: info}
"""


def image(layout: Layout, arch: str, content: bytes) -> Descriptor:
    config = layout.put_json({"architecture": arch, "os": "linux"}, media.OCI_CONFIG)
    layer = Descriptor(media.OCI_LAYER_GZIP, layout.put_bytes(content), len(content))
    doc = {"schemaVersion": 2, "config": config.to_json(), "layers": [layer.to_json()]}
    return layout.put_json(doc, media.OCI_MANIFEST)


def multi_platform(layout: Layout, content: bytes) -> tuple[Descriptor, Descriptor]:
    """(index of amd64 + arm64, its amd64 manifest)"""
    amd64, arm64 = image(layout, "amd64", content), image(layout, "arm64", content + b"-arm")
    entries = [
        {**amd64.to_json(), "platform": {"architecture": "amd64", "os": "linux"}},
        {**arm64.to_json(), "platform": {"architecture": "arm64", "os": "linux"}},
    ]
    index = layout.put_json({"schemaVersion": 2, "manifests": entries}, media.OCI_INDEX)
    return index, amd64


def rendered_web(layout: Layout, version: str, tag: str, index: Descriptor) -> DesiredComponent:
    """The web component of `version`, its image tagged `tag` (same env in every version)."""
    model = parse_model_text(MODEL % (version, tag, index.digest))
    ref = model.components["web"].image
    digests = image_digests(layout, [ImageToLoad("web", ref, index)], AMD64)
    return render(model, "shop", AMD64, digests)[0]


def test_digest_is_the_platform_manifest_not_the_reference(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    index, amd64 = multi_platform(layout, b"web layer")
    refs = [f"reg.example/shop/web:{tag}@{index.digest}" for tag in ("1.0.0", "1.1.0")]
    found = [image_digests(layout, [ImageToLoad("web", r, index)], AMD64) for r in refs]
    assert found == [{"web": amd64.digest}, {"web": amd64.digest}]


def test_same_image_under_another_tag_is_kept(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    index, amd64 = multi_platform(layout, b"web layer")
    old = rendered_web(layout, "1.0.0", "1.0.0", index)
    new = rendered_web(layout, "1.1.0", "1.1.0", index)
    assert new.spec["image"] == amd64.digest
    observed = {"web": ObservedComponent("web", [old.hash], 1)}
    plan = make_plan([new], observed, {"web": old})
    assert [(s.component, s.action) for s in plan.steps] == [("web", "keep")]


def test_another_image_is_recreated(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    old_index, _ = multi_platform(layout, b"web layer")
    new_index, _ = multi_platform(layout, b"web layer, fixed")
    old = rendered_web(layout, "1.0.0", "1.0.0", old_index)
    new = rendered_web(layout, "1.1.0", "1.1.0", new_index)
    plan = make_plan([new], {"web": ObservedComponent("web", [old.hash], 1)}, {"web": old})
    assert [(s.action, s.reason) for s in plan.steps] == [("recreate", "image changed")]


def test_missing_platform_and_missing_blobs(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "store")
    amd64_only = image(layout, "amd64", b"only amd64")
    ref = f"reg.example/shop/web:1@{amd64_only.digest}"
    with pytest.raises(
        PlatformError,
        match=r"^component web: the image is for linux/amd64, not linux/arm64; install with "
        r"--platform linux/amd64 if this host can run it, or get a bundle that carries",
    ):
        image_digests(layout, [ImageToLoad("web", ref, amd64_only)], ARM64)
    index, _ = multi_platform(layout, b"web layer")
    with pytest.raises(
        PlatformError,
        match=r"^component web: the image has no linux/s390x variant \(it has linux/amd64, "
        r"linux/arm64\); install with --platform",
    ):
        image_digests(layout, [ImageToLoad("web", ref, index)], Platform.parse("linux/s390x"))
    index, amd64 = multi_platform(layout, b"web layer")
    layout.blob_path(amd64.digest).unlink()
    with pytest.raises(NotFoundError, match=r"image of web \(reg.example/shop/web:1\) is missing"):
        image_digests(layout, [ImageToLoad("web", ref, index)], AMD64)
