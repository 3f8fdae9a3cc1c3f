"""A root directory written and read through file descriptors, never through a symlink.

Every path is a tuple of names below the root. Directories are opened one component at a
time relative to their parent's descriptor with O_NOFOLLOW | O_DIRECTORY: a symlink or a
file where a directory is expected ends the walk with `Refused`, so nothing is ever
created, removed or read outside the root, whatever the layers put in it before. Only the
last component of a name is ever a symlink, and it is replaced or removed, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

Parts = tuple[str, ...]

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""O_NONBLOCK: opening a FIFO put where a file is expected must not hang."""
MAX_OPEN_DIRS = 256
MAX_SYMLINKS = 40


class Refused(Exception):
    """An entry that would leave the root or cannot be applied; the message says why."""


def split_name(name: str) -> Parts:
    """A tar name as components below the root: leading '/' and '.' components dropped,
    any '..' refused."""
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise Refused("has a '..' component")
    return parts


def shown(parts: Parts) -> str:
    return "/" + "/".join(parts)


class RootDir:
    """Directory descriptors of one root directory, cached by path."""

    def __init__(self, root: Path) -> None:
        self.root_fd = os.open(root, DIR_FLAGS)
        self._dirs: dict[Parts, int] = {(): self.root_fd}

    def close(self) -> None:
        self.forget()
        os.close(self.root_fd)

    def forget(self, below: Parts = ()) -> None:
        """Close the cached descriptors of `below` and what is under it (the root's is
        kept): once a directory is removed, they would point to one no longer in the tree."""
        gone = [p for p in self._dirs if p and p[: len(below)] == below]
        for parts in gone:
            os.close(self._dirs.pop(parts))

    def trim(self) -> None:
        """Close the older half of the cached descriptors when there are many (between
        entries only: a caller may hold two of them at once within one)."""
        if len(self._dirs) > MAX_OPEN_DIRS:
            for parts in [p for p in self._dirs if p][: MAX_OPEN_DIRS // 2]:
                os.close(self._dirs.pop(parts))

    def dir_fd(self, parts: Parts, *, create: bool = False) -> int | None:
        """The descriptor of directory `parts`; None if it is missing and not `create`d
        (missing parents are made 0755, owned by root, as the Docker engine does)."""
        found = self._dirs.get(parts)
        if found is not None:
            return found
        parent = self.dir_fd(parts[:-1], create=create)
        if parent is None:
            return None
        fd = _open_dir(parent, parts, create)
        if fd is not None:
            self._dirs[parts] = fd
        return fd

    def lstat(self, parts: Parts) -> os.stat_result | None:
        """The entry itself (a symlink is not followed); None if it or a parent is missing."""
        parent = self.dir_fd(parts[:-1])
        if parent is None:
            return None
        try:
            return os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def remove(self, parts: Parts) -> None:
        """Remove the entry `parts` (a whole tree if it is a directory), if it exists."""
        parent = self.dir_fd(parts[:-1])
        if parent is None:
            return
        try:
            os.unlink(parts[-1], dir_fd=parent)
        except FileNotFoundError:
            return
        except IsADirectoryError:
            self.forget(parts)
            _remove_tree(parent, parts[-1])

    def resolve(self, path: str) -> Parts:
        """`path` inside the image as the kernel would resolve it with the root as '/':
        symlinks followed but never above the root (for reading /etc/passwd)."""
        pending = list(reversed(split_inside(path)))
        done: list[str] = []
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                done = done[:-1]
                continue
            found = self.lstat((*done, name))
            if found is None or not stat.S_ISLNK(found.st_mode):
                done.append(name)
                continue
            links += 1
            if links > MAX_SYMLINKS:
                raise Refused(f"{path}: too many levels of symbolic links")
            target = os.readlink(name, dir_fd=self.dir_fd(tuple(done)))
            done = [] if target.startswith("/") else done
            pending.extend(reversed(split_inside(target)))
        return tuple(done)

    def read(self, path: str, limit: int) -> bytes | None:
        """At most `limit` bytes of the file at `path` (symlinks resolved inside the root);
        None if there is no such file."""
        parts = self.resolve(path)
        parent = self.dir_fd(parts[:-1]) if parts else None
        if parent is None:
            return None
        try:
            fd = os.open(parts[-1], READ_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as handle:
            return handle.read(limit)


def split_inside(path: str) -> list[str]:
    """Components of a path to resolve ('..' kept: the resolver clamps it at the root)."""
    return [p for p in path.split("/") if p not in ("", ".")]


def _open_dir(parent: int, parts: Parts, create: bool) -> int | None:
    name = parts[-1]
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            return None
    except OSError as exc:
        raise _not_a_directory(parent, parts, exc) from None
    with contextlib.suppress(FileExistsError):  # made meanwhile: fine, it is opened below
        os.mkdir(name, 0o755, dir_fd=parent)
    return os.open(name, DIR_FLAGS, dir_fd=parent)


def _not_a_directory(parent: int, parts: Parts, exc: OSError) -> Exception:
    if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
        return exc
    mode = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False).st_mode
    what = "a symlink" if stat.S_ISLNK(mode) else "not a directory"
    return Refused(f"goes through {shown(parts)}, which is {what}")


def _remove_tree(parent: int, name: str) -> None:
    """Remove directory `name` of `parent` and everything in it, symlinks not followed."""
    fd = os.open(name, DIR_FLAGS, dir_fd=parent)
    try:
        for child in _children(fd):
            try:
                os.unlink(child, dir_fd=fd)
            except IsADirectoryError:
                _remove_tree(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)


def _children(fd: int) -> Iterator[str]:
    with os.scandir(fd) as entries:
        names = [entry.name for entry in entries]
    yield from names
