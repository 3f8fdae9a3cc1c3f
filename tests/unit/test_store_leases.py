"""The store's rule for concurrent commands (see sealift.oci.layout): leases, garbage
collection only under the exclusive lock, each operation cleans up only its own blobs.

Two Layout objects on one directory stand for two commands: their flocks are taken on
separate open files, so they conflict exactly as two processes' would."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sealift.oci.layout import Layout
from tinyimages import one_layer_manifest


def test_garbage_collection_does_not_run_while_a_lease_is_held(tmp_path: Path) -> None:
    writer, remover = Layout.create(tmp_path), Layout(tmp_path)
    with writer.writing():
        digest = writer.put_bytes(b"not named yet")
        assert remover.collect_garbage(wait=False) is None
        assert writer.has_blob(digest)
    # once the writer is done, unnamed blobs are garbage: it freed its own already
    assert not writer.has_blob(digest)


def test_remove_waits_for_a_running_writer_then_frees(tmp_path: Path) -> None:
    writer, remover = Layout.create(tmp_path), Layout(tmp_path)
    old = one_layer_manifest(writer, b"old version")
    writer.set_ref("old:1", old)
    with writer.editing_entries() as entries:
        entries.clear()  # `market remove old:1` forgot the name
    results: list[tuple[int, int] | None] = []
    waited = threading.Event()
    with writer.writing():
        new = one_layer_manifest(writer, b"new version")
        gc = threading.Thread(
            target=lambda: results.append(remover.collect_garbage(on_wait=waited.set))
        )
        gc.start()
        assert waited.wait(5)
        time.sleep(0.2)
        assert results == [] and writer.has_blob(new.digest)
        writer.set_ref("new:1", new)
    gc.join(5)
    assert results and results[0] is not None and results[0][0] == 2  # old layer + manifest
    assert writer.has_blob(new.digest) and not writer.has_blob(old.digest)
    assert remover.reachable(remover.entries()) <= remover.blob_digests()


def test_failed_writer_leaves_a_blob_another_writer_relies_on(tmp_path: Path) -> None:
    first, second = Layout.create(tmp_path), Layout(tmp_path)
    with second.writing():
        with pytest.raises(RuntimeError), first.writing():
            shared = one_layer_manifest(first, b"shared layer")
            assert second.has_blob(shared.digest)  # second finds it and will not write it
            raise RuntimeError("the first publish fails")
        assert second.has_blob(shared.digest)  # kept: second holds a lease
        second.set_ref("second:1", shared)
    assert second.reachable(second.entries()) == {d.digest for d in second.walk(shared)} and all(
        second.has_blob(d.digest) for d in second.walk(shared)
    )


def test_failed_writer_alone_removes_only_what_it_wrote(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    kept = one_layer_manifest(layout, b"named")
    layout.set_ref("kept:1", kept)
    stray = layout.put_bytes(b"someone else's garbage")
    before = layout.blob_digests()
    with pytest.raises(KeyboardInterrupt), layout.writing():
        one_layer_manifest(layout, b"half a publish")
        raise KeyboardInterrupt
    assert layout.blob_digests() == before  # its own blobs gone, the stray one untouched
    assert layout.has_blob(stray)


def test_discard_inside_writing_is_left_to_its_end(tmp_path: Path) -> None:
    layout, other = Layout.create(tmp_path), Layout(tmp_path)
    with other.lease():
        with layout.writing():
            extra = layout.put_bytes(b"extra blob of an archive")
            layout.discard({extra})
            assert layout.has_blob(extra)
        assert layout.has_blob(extra)  # another lease: left as garbage
    assert layout.collect_garbage(wait=False) == (1, len(b"extra blob of an archive"))


def test_gc_keeps_what_a_damaged_manifest_names(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path)
    manifest = one_layer_manifest(layout, b"layer under a damaged manifest")
    layout.set_ref("x:1", manifest)
    named = {d.digest for d in layout.walk(manifest)}
    path = layout.blob_path(manifest.digest)
    path.write_bytes(path.read_bytes() + b" ")  # corrupt, still parses
    assert layout.collect_garbage() == (0, 0)
    assert layout.blob_digests() == named
