"""Copying byte ranges between files inside the kernel, and starting writeback early.

`copy_range` uses copy_file_range(2) (a reflink or an in-kernel copy, no trip through
user space), falls back to sendfile(2) where that is refused (across filesystems on
some kernels), and to pread/pwrite last. `start_writeback` asks the kernel to begin
writing a range to disk now, so the final fsync finds little left to do instead of
the whole file (the page cache would otherwise hold it for up to 30 seconds).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

_FALLBACK_ERRNOS = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF}
_SYNC_FILE_RANGE_WRITE = 2

_use_copy_file_range = hasattr(os, "copy_file_range")
_use_sendfile = hasattr(os, "sendfile")
_sync_file_range: Callable[[int, int, int, int], int] | None = None
_sync_file_range_loaded = False


def copy_range(src: int, src_offset: int, dst: int, dst_offset: int, count: int) -> int:
    """Copy up to `count` bytes; return how many (0 only at the end of `src`)."""
    global _use_copy_file_range, _use_sendfile
    if _use_copy_file_range:
        try:
            n = os.copy_file_range(src, dst, count, src_offset, dst_offset)
        except OSError as exc:
            if exc.errno not in _FALLBACK_ERRNOS:
                raise
            _use_copy_file_range = False
        else:
            # Some filesystems answer 0 where they cannot copy: confirm the end below.
            if n:
                return n
    if _use_sendfile:
        try:
            os.lseek(dst, dst_offset, os.SEEK_SET)  # sendfile writes at the file position
            n = os.sendfile(dst, src, src_offset, count)
        except OSError as exc:
            if exc.errno not in _FALLBACK_ERRNOS:
                raise
            _use_sendfile = False
        else:
            if n:
                return n
    return _copy_through_memory(src, src_offset, dst, dst_offset, count)


def _copy_through_memory(src: int, src_offset: int, dst: int, dst_offset: int, count: int) -> int:
    data = os.pread(src, min(count, 8 * 1024 * 1024), src_offset)
    view = memoryview(data)
    while view:
        written = os.pwrite(dst, view, dst_offset)
        dst_offset += written
        view = view[written:]
    return len(data)


def start_writeback(fd: int, offset: int, count: int) -> None:
    """Start writing this range to disk without waiting (a no-op where unsupported)."""
    call = _load_sync_file_range()
    if call is not None:
        call(fd, offset, count, _SYNC_FILE_RANGE_WRITE)  # only a hint: errors are ignored


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    global _sync_file_range, _sync_file_range_loaded
    if not _sync_file_range_loaded:
        _sync_file_range_loaded = True
        try:
            import ctypes  # only here: most commands never need it

            function = ctypes.CDLL(None, use_errno=True).sync_file_range
            function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            function.restype = ctypes.c_int
            _sync_file_range = function
        except (OSError, AttributeError):
            _sync_file_range = None
    return _sync_file_range
