"""Which file system holds a path (for FAT's 4 GiB limit), and early refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealift.errors import DiskFullError
from sealift.space import filesystem_type, human_size, require_space

MOUNTS = """\
overlay / overlay rw,relatime 0 0
/dev/vda /work ext4 rw,relatime 0 0
/dev/sdb1 /media/usb\\040stick vfat rw,relatime 0 0
/dev/sdc1 /media/usb-big exfat rw 0 0
tmpfs /work/tmp tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "overlay"),
        ("/etc/hosts", "overlay"),
        ("/work", "ext4"),
        ("/work/main/out.tar", "ext4"),
        ("/work/tmp/b.tar", "tmpfs"),
        ("/work/tmpfiles/b.tar", "ext4"),  # a name that only starts like a mount point
        ("/media/usb stick/shop.tar", "vfat"),
        ("/media/usb-big/shop.tar", "exfat"),
    ],
)
def test_filesystem_type_is_the_longest_mount_point(path: str, kind: str) -> None:
    assert filesystem_type(Path(path), MOUNTS) == kind


def test_this_machine_reads_its_own_mount_table(tmp_path: Path) -> None:
    assert filesystem_type(tmp_path) != ""


def test_require_space_names_both_sizes(tmp_path: Path) -> None:
    require_space(tmp_path, 1, "the import", "free some space")
    with pytest.raises(DiskFullError, match=r"^the import needs 1024\.0 TiB but .* free; free"):
        require_space(tmp_path, 1024**5, "the import", "free some space")
    assert human_size(1536) == "1.5 KiB" and human_size(100) == "100 B"
