# The `__main__.py` of sealift.pyz (the site runtime). It must parse on any Python, also
# an old one, so that the site hears in one line what it needs: no annotations, no
# f-strings, no `from __future__ import annotations`; types are given in comments.
"""Start sealift from sealift.pyz: check the host, pick the set of wheels built for this
Python and machine, extract it once into a per-user cache, and run the CLI from there."""

import contextlib
import os
import sys

MYPY = False
if MYPY:  # only for the type comments below
    from typing import Any, Dict, List, Tuple  # noqa: F401 (type comments)

RUNTIME = {}  # type: Dict[str, Any]  # sealift runtime build puts the manifest of the runtime here

MIN_PYTHON = (3, 9, 2)
KEEP_RUNTIMES = 2  # extracted runtimes always kept: the ones started last
STALE_SECONDS = 30 * 86400  # others go once no start has used them for this long
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def set_name(version, machine):
    # type: (Tuple[Any, ...], str) -> str
    return "cp%d%d-%s" % (version[0], version[1], machine)


def python_problem(version, implementation, runtime):
    # type: (Tuple[Any, ...], str, Dict[str, Any]) -> str
    """Why this Python cannot run the runtime ("" when it can)."""
    sealift = "sealift %s" % runtime.get("sealift", "")
    pythons = runtime.get("pythons", ["3.9"])
    wanted = "CPython %s to %s" % (pythons[0], pythons[-1])
    found = "%s %s" % (implementation, ".".join(str(part) for part in version[:3]))
    if implementation != "CPython" or tuple(version[:3]) < MIN_PYTHON:
        return "%s needs %s (3.9.2 or newer); this python3 is %s: install a newer python3" % (
            sealift,
            wanted,
            found,
        )
    if "%d.%d" % (version[0], version[1]) not in pythons:
        return "%s carries %s; this python3 is %s: run it with one of those" % (
            sealift,
            wanted,
            found,
        )
    return ""


def machine_problem(machine, libc, runtime):
    # type: (str, Tuple[str, str], Dict[str, Any]) -> str
    """Why this machine and C library cannot run the runtime ("" when they can)."""
    sealift = "sealift %s" % runtime.get("sealift", "")
    if MACHINES.get(machine.lower()) not in runtime.get("machines", []):
        return "%s runs on x86_64 and aarch64 (arm64) Linux; this machine is %s" % (
            sealift,
            machine or "unknown",
        )
    needed = runtime.get("glibc", "2.17")
    if libc[0] != "glibc":
        return (
            "%s needs a Linux with glibc %s or newer (Debian, Ubuntu, RHEL...); this "
            "host has another C library (musl on Alpine?)" % (sealift, needed)
        )
    if version_tuple(libc[1]) < version_tuple(needed):
        return "%s needs glibc %s or newer; this host has glibc %s" % (sealift, needed, libc[1])
    return ""


def version_tuple(text):
    # type: (str) -> Tuple[int, ...]
    parts = []
    for part in text.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def host_libc():
    # type: () -> Tuple[str, str]
    """("glibc", "2.36"), or ("", "") for another C library."""
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        found = ""
    name, _, version = found.partition(" ")
    return ("glibc", version) if name == "glibc" else ("", "")


def host_problem(runtime):
    # type: (Dict[str, Any]) -> str
    import platform

    problem = python_problem(sys.version_info, platform.python_implementation(), runtime)
    return problem or machine_problem(platform.machine(), host_libc(), runtime)


def cache_candidates(archive, environ):
    # type: (str, Dict[str, str]) -> List[str]
    """Where the compiled wheels may be extracted, best first (never /tmp: it may be noexec)."""
    found = []
    if environ.get("SEALIFT_HOME"):
        found.append(os.path.join(environ["SEALIFT_HOME"], "runtime"))
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    found.append(os.path.join(cache, "sealift", "runtime"))
    found.append(os.path.join(os.path.dirname(os.path.abspath(archive)), ".sealift-runtime"))
    return found


def make_directories(path):
    # type: (str) -> None
    """os.makedirs that another process may race (no exist_ok: this file parses on any Python)."""
    try:
        os.makedirs(path)
    except OSError:
        if not os.path.isdir(path):
            raise


def usable(directory):
    # type: (str) -> bool
    """The directory exists (or is made), is writable and may hold programs (not noexec)."""
    try:
        make_directories(directory)
        flags = os.statvfs(directory).f_flag
    except OSError:
        return False
    blocked = getattr(os, "ST_NOEXEC", 8) | getattr(os, "ST_RDONLY", 1)
    return not flags & blocked and os.access(directory, os.W_OK | os.X_OK)


def extracted(archive, runtime, name, environ):
    # type: (str, Dict[str, Any], str, Dict[str, str]) -> str
    """The directory that holds the wheels of set `name`, extracted once per runtime id."""
    for base in cache_candidates(archive, environ):
        final = os.path.join(base, runtime["id"], name)
        if os.path.isdir(final):
            used(os.path.dirname(final))
            return final
        if usable(base):
            extract(archive, runtime, name, final)
            forget_old(base, runtime["id"])
            return final
    raise SystemExit(
        "error: sealift.pyz found no writable directory that allows programs to extract its "
        "compiled parts into; set SEALIFT_HOME to one (tried %s)"
        % ", ".join(cache_candidates(archive, environ))
    )


def extract(archive, runtime, name, final):
    # type: (str, Dict[str, Any], str, str) -> str
    """Extract into a directory of this process's own, then rename it into place: another
    process that extracts at the same time loses the rename and uses the winner's."""
    import io
    import json
    import shutil
    import zipfile

    parent = os.path.dirname(final)
    make_directories(parent)
    work = os.path.join(parent, ".%s.%d.tmp" % (name, os.getpid()))
    shutil.rmtree(work, ignore_errors=True)
    with zipfile.ZipFile(archive) as outer:
        for wheel in runtime["sets"][name]:
            with zipfile.ZipFile(io.BytesIO(outer.read("wheels/" + wheel))) as inner:
                inner.extractall(work)
    with open(os.path.join(work, "sealift-runtime.json"), "w") as handle:
        json.dump(dict(runtime, set=name), handle, sort_keys=True)
    try:
        os.rename(work, final)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not os.path.isdir(final):
            raise
    return final


def used(directory):
    # type: (str) -> None
    """Mark an extracted runtime as started now (its age is the time since its last use)."""
    with contextlib.suppress(OSError):
        os.utime(directory)


def forget_old(base, keep):
    # type: (str, str) -> None
    """Remove the runtimes extracted under `base` that no start has used for STALE_SECONDS,
    except `keep` and the KEEP_RUNTIMES used last. Run after a new one was extracted: each
    takes ~60 MB, and a site that updates sealift often would fill its disk."""
    import shutil
    import time

    dated = []
    for entry in os.listdir(base):
        path = os.path.join(base, entry)
        if len(entry) == 16 and entry.strip("0123456789abcdef") == "" and entry != keep:
            try:
                dated.append((os.stat(path).st_mtime, path))
            except OSError:
                continue
    dated.sort(reverse=True)
    for mtime, path in dated[KEEP_RUNTIMES - 1 :]:
        if time.time() - mtime > STALE_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def own_path(path, archive):
    # type: (List[str], str) -> List[str]
    """sys.path without the archive and the host's site-packages: the runtime carries
    every library it needs, and a host's older copy must not shadow or complete it."""
    kept = []
    for entry in path:
        parts = os.path.abspath(entry or ".").split(os.sep)
        if os.path.abspath(entry or ".") == os.path.abspath(archive):
            continue
        if "site-packages" in parts or "dist-packages" in parts:
            continue
        kept.append(entry)
    return kept


def start(archive):
    # type: (str) -> None
    problem = host_problem(RUNTIME)
    if problem:
        sys.stderr.write("error: " + problem + "\n")
        sys.exit(2)
    name = set_name(sys.version_info, MACHINES[__import__("platform").machine().lower()])
    directory = extracted(archive, RUNTIME, name, dict(os.environ))
    sys.path[:] = [directory] + own_path(sys.path, archive)
    # the extracted directory is the runtime's own cache: its bytecode is kept there even
    # under PYTHONDONTWRITEBYTECODE, or every start would compile sealift again
    sys.dont_write_bytecode = False
    import runpy

    runpy.run_module("sealift.cli", run_name="__main__")  # as `python -m sealift.cli`


if __name__ == "__main__":
    start(os.path.dirname(os.path.abspath(__file__)))
