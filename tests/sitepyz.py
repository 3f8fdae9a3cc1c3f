"""The site runtime (sealift.pyz) for tests: built from the wheelhouse that
`scripts/setup.sh` fills (`~/.cache/sealift/wheelhouse`, or $SEALIFT_WHEELHOUSE), never
downloading, and cached by its build key in `~/.cache/sealift-test/runtime-home`
(or $SEALIFT_TEST_CACHE): a rebuild happens only when sealift's source or pins change.
A file lock makes concurrent callers (xdist workers, other test sessions) wait for one build.

    from sitepyz import runtime_pyz
    pyz = runtime_pyz()          # Path of a built sealift.pyz
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def wheelhouse() -> Path:
    default = Path.home() / ".cache" / "sealift" / "wheelhouse"
    path = Path(os.environ.get("SEALIFT_WHEELHOUSE") or default)
    if not path.is_dir():
        raise RuntimeError(f"wheelhouse {path} is missing: run scripts/setup.sh (make setup)")
    return path


def cache_home() -> Path:
    base = os.environ.get("SEALIFT_TEST_CACHE") or str(Path.home() / ".cache" / "sealift-test")
    path = Path(base) / "runtime-home"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runtime_pyz() -> Path:
    """A sealift.pyz of the sealift under test (built on first use, ~3 s)."""
    from sealift.runtime.build import BuildRequest, cached_runtime

    home = cache_home()
    with open(home / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return cached_runtime(BuildRequest(home=home, wheelhouse=wheelhouse()))
