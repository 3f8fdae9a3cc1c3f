"""Applying the entries of image layers (tar members) to a root directory.

Follows the OCI image spec's changeset rules as the Docker engine applies them: a later
entry replaces an earlier one of the same name (a directory over a directory only takes
its metadata), `.wh.NAME` removes NAME of the layers below, `.wh..wh..opq` empties its
directory of what the layers below put there. Ownership (numeric), modes with the
setuid, setgid and sticky bits, modification times, hard links and symlinks are kept.

Decisions: character and block devices are skipped with a warning (a device node in a
root directory would give its service the host's device); FIFOs are created. Extended
attributes `security.capability` and `user.*` are kept, others skipped with a warning.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections import Counter
from typing import IO

from sealift.targets.systemd.rootdir import Parts, Refused, RootDir, shown, split_name

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
KEPT_XATTRS = ("security.capability", "user.")
XATTR_PAX = "SCHILY.xattr."
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
CHUNK = 1024 * 1024
SHOWN_EXAMPLES = 3


class Unpacker:
    """Applies layers in order to one root directory."""

    def __init__(self, tree: RootDir) -> None:
        self.tree = tree
        self.dir_times: dict[Parts, int] = {}
        self.root_mode_set = False
        self.written: set[Parts] = set()  # names of this layer, and their parents
        self.skipped: dict[str, list[str]] = {}
        self._xattrs_skipped: Counter[str] = Counter()
        self._buffer = bytearray(CHUNK)

    def begin_layer(self) -> None:
        self.written = set()

    def apply(self, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        """Apply one entry; `Refused` if it would leave the root or cannot be applied."""
        self.tree.trim()
        parts = split_name(member.name)
        if parts and parts[-1].startswith(WHITEOUT):
            self._whiteout(parts)
        elif member.ischr() or member.isblk():
            self.skipped.setdefault("device nodes", []).append(shown(parts))
        elif not parts:
            self._root_entry(member)
        else:
            self._note_written(parts)
            self._entry(parts, member, tar)

    def warnings(self) -> list[str]:
        lines = [_skipped_line(what, names) for what, names in self.skipped.items()]
        return lines + [
            f"extended attribute {name} skipped on {count} entries"
            for name, count in sorted(self._xattrs_skipped.items())
        ]

    def finish(self) -> None:
        """Set the directories' times (deepest first: setting a child's changes nothing
        above it) and the root's mode if no layer gave one."""
        for parts in sorted(self.dir_times, key=len, reverse=True):
            self.tree.trim()
            parent = _existing_dir(self.tree, parts[:-1])
            times = (self.dir_times[parts], self.dir_times[parts])
            if not parts:
                os.utime(self.tree.root_fd, ns=times)
            elif parent is not None:
                with contextlib.suppress(FileNotFoundError):  # removed by a later layer
                    os.utime(parts[-1], ns=times, dir_fd=parent, follow_symlinks=False)
        if not self.root_mode_set:
            os.fchmod(self.tree.root_fd, 0o755)

    # -- entries ------------------------------------------------------------------

    def _entry(self, parts: Parts, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        """Create the entry; if the name is taken (by a layer below), replace what has it."""
        parent = self.tree.dir_fd(parts[:-1], create=True)
        assert parent is not None
        try:
            self._create(parent, parts, member, tar)
            return
        except FileExistsError:
            existing = self.tree.lstat(parts)
        assert existing is not None
        if member.isdir() and stat.S_ISDIR(existing.st_mode):
            self._dir_metadata(parts, member)
            return
        if member.islnk() and split_name(member.linkname) == parts:
            return  # a hard link to itself
        self._remove(parts)
        self._create(parent, parts, member, tar)

    def _remove(self, parts: Parts) -> None:
        self.tree.remove(parts)
        self.dir_times.pop(parts, None)

    def _create(
        self, parent: int, parts: Parts, member: tarfile.TarInfo, tar: tarfile.TarFile
    ) -> None:
        name = parts[-1]
        if member.isdir():
            os.mkdir(name, 0o700, dir_fd=parent)
            self._dir_metadata(parts, member)
        elif member.issym():
            os.symlink(member.linkname, name, dir_fd=parent)
            self._name_metadata(parent, name, member, symlink=True)
        elif member.islnk():
            self._hard_link(parent, name, member)
        elif member.isfifo():
            os.mkfifo(name, 0o600, dir_fd=parent)
            self._name_metadata(parent, name, member, symlink=False)
        else:
            self._file(parent, name, member, tar)

    def _root_entry(self, member: tarfile.TarInfo) -> None:
        if not member.isdir():
            raise Refused("would replace the root directory with something else")
        self._dir_metadata((), member)
        self.root_mode_set = True

    def _file(self, parent: int, name: str, member: tarfile.TarInfo, tar: tarfile.TarFile) -> None:
        fd = os.open(name, FILE_FLAGS, 0o600, dir_fd=parent)
        try:
            source = tar.extractfile(member)
            if source is not None:
                self._copy(source, fd)
            self._fd_metadata(fd, member)
            os.utime(fd, ns=(_mtime_ns(member), _mtime_ns(member)))
        finally:
            os.close(fd)

    def _copy(self, source: IO[bytes], fd: int) -> None:
        view = memoryview(self._buffer)
        while True:
            count = source.readinto(view)  # type: ignore[attr-defined]
            if not count:
                return
            done = 0
            while done < count:
                done += os.write(fd, view[done:count])

    def _hard_link(self, parent: int, name: str, member: tarfile.TarInfo) -> None:
        target = split_name(member.linkname)
        source = self.tree.dir_fd(target[:-1]) if target else None
        if source is None:
            raise Refused(f"is a hard link to {shown(target)}, which is not in the image")
        try:
            os.link(target[-1], name, src_dir_fd=source, dst_dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            raise Refused(f"is a hard link to {shown(target)}, which is not in the image") from None
        except (PermissionError, IsADirectoryError):
            raise Refused(f"is a hard link to {shown(target)}, a directory") from None

    # -- metadata -----------------------------------------------------------------

    def _dir_metadata(self, parts: Parts, member: tarfile.TarInfo) -> None:
        fd = self.tree.dir_fd(parts)
        assert fd is not None
        self._fd_metadata(fd, member)
        self.dir_times[parts] = _mtime_ns(member)

    def _fd_metadata(self, fd: int, member: tarfile.TarInfo) -> None:
        """Owner first: changing it clears the setuid/setgid bits and file capabilities."""
        os.fchown(fd, member.uid, member.gid)
        os.fchmod(fd, stat.S_IMODE(member.mode))
        for key, value in member.pax_headers.items():
            if key.startswith(XATTR_PAX):
                self._xattr(fd, key[len(XATTR_PAX) :], value)

    def _xattr(self, fd: int, name: str, value: str) -> None:
        if name.startswith(KEPT_XATTRS):
            os.setxattr(fd, name, value.encode("utf-8", "surrogateescape"))
        else:
            self._xattrs_skipped[name] += 1

    def _name_metadata(
        self, parent: int, name: str, member: tarfile.TarInfo, *, symlink: bool
    ) -> None:
        """Metadata of an entry that cannot be opened (a symlink, a FIFO), by name: it was
        just created in a directory only this process writes to."""
        os.chown(name, member.uid, member.gid, dir_fd=parent, follow_symlinks=False)
        if not symlink:
            os.chmod(name, stat.S_IMODE(member.mode), dir_fd=parent)
        times = (_mtime_ns(member), _mtime_ns(member))
        os.utime(name, ns=times, dir_fd=parent, follow_symlinks=False)

    # -- whiteouts ----------------------------------------------------------------

    def _whiteout(self, parts: Parts) -> None:
        name = parts[-1]
        if name == OPAQUE:
            self._opaque(parts[:-1])
            return
        if name.startswith(WHITEOUT + WHITEOUT):
            return  # AUFS bookkeeping (its hard link directory), not content
        target = name[len(WHITEOUT) :]
        if target in ("", ".", ".."):
            raise Refused(f"whites out {target!r}, which is not a name in its directory")
        self._remove((*parts[:-1], target))

    def _opaque(self, directory: Parts) -> None:
        """Remove what the layers below put in `directory`, keeping this layer's entries."""
        fd = self.tree.dir_fd(directory)
        if fd is None:
            return
        with os.scandir(fd) as entries:
            names = [entry.name for entry in entries]
        for name in names:
            path = (*directory, name)
            if path not in self.written:
                self._remove(path)
            elif stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                self._opaque(path)

    def _note_written(self, parts: Parts) -> None:
        for end in range(len(parts), 0, -1):
            if parts[:end] in self.written:
                return
            self.written.add(parts[:end])


def _existing_dir(tree: RootDir, parts: Parts) -> int | None:
    """The directory `parts` if it is still one (a later layer may have replaced it)."""
    try:
        return tree.dir_fd(parts)
    except Refused:
        return None


def _mtime_ns(member: tarfile.TarInfo) -> int:
    mtime = member.mtime  # an int, or a float from a PAX header
    return mtime * 1_000_000_000 if isinstance(mtime, int) else round(mtime * 1e9)


def _skipped_line(what: str, names: list[str]) -> str:
    examples = ", ".join(names[:SHOWN_EXAMPLES])
    more = f" and {len(names) - SHOWN_EXAMPLES} more" if len(names) > SHOWN_EXAMPLES else ""
    return f"{len(names)} {what} skipped: {examples}{more}"
