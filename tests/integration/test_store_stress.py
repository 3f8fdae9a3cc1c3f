"""Several real `sealift` commands on one SEALIFT_HOME at the same time: two publishers
(sharing an image, some publishes failing midway), an importer, an exporter and a
remover loop for a bounded number of rounds and seconds. Every command either works
or fails with one line that is allowed in a race; afterwards `store check` passes and
every version left in the market exports and imports into a fresh home."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_sealift
from tests.tinyimages import push_tiny, write_model

ROUNDS = 6  # per worker; 4 workers: 24 rounds, and a remover beside them
MAX_REMOVES = 60
DEADLINE = 150.0  # seconds for the loops, whatever the rounds
RACE_ERRORS = ("is not in the market",)  # a version another worker just removed
FAILING_IMAGE = "stress/missing"
LAYER_BYTES = 2 * 1024 * 1024  # incompressible: a publish spends a while writing it


@dataclass
class Images:
    shared: str
    own: dict[str, list[str]]
    registry: str


@dataclass
class Log:
    failures: list[str] = field(default_factory=list)
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, home: Path, *args: str, expect_failure: str = "") -> bool:
        result = run_sealift(home, *args, check=False, timeout=120)
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("error:")]
        with self.lock:
            self.done += 1
            if result.returncode == 0:
                return True
            allowed = RACE_ERRORS + ((expect_failure,) if expect_failure else ())
            if len(errors) != 1 or "Traceback" in result.stderr or result.returncode != 1:
                self.failures.append(f"{' '.join(args)}: {result.stderr.strip()}")
            elif not any(text in errors[0] for text in allowed):
                self.failures.append(f"{' '.join(args)}: {errors[0]}")
            return False


@pytest.fixture(scope="module")
def images(registry: str, tmp_path_factory: pytest.TempPathFactory) -> Images:
    work = tmp_path_factory.mktemp("stress-images")
    shared = push_tiny(registry, "stress/base", "1", b"shared by every app", work)
    # a new image for every publish: each one writes blobs nothing names yet, which a
    # careless garbage collection (or another publish's cleanup) would delete
    own = {
        app: [
            push_tiny(registry, f"stress/{app}", str(i), os.urandom(LAYER_BYTES), work)
            for i in range(ROUNDS)
        ]
        for app in ("alpha", "beta", "gamma")
    }
    return Images(shared, own, registry)


def _model(tmp: Path, app: str, version: str, images: Images, i: int, fail: bool) -> Path:
    """A failing model's own image is copied (new blobs), then its last image is missing."""
    components = {"own": images.own[app][i], "base": images.shared}
    if fail:
        components["broken"] = f"{images.registry}/{FAILING_IMAGE}:1"
    return write_model(tmp / f"{app}-{version}.yaml", app, version, components)


def _publisher(home: Path, tmp: Path, app: str, images: Images, log: Log) -> Callable[[int], None]:
    def step(i: int) -> None:
        fail = i % 3 == 2  # its first component is copied, then the second is missing
        model = _model(tmp, app, f"1.0.{i}", images, i, fail)
        log.run(
            home, "publish", str(model), "--source", "registry", expect_failure="stress/missing"
        )

    return step


def _market(home: Path, log: Log) -> list[str]:
    result = run_sealift(home, "market", "list", "--json", check=False)
    if result.returncode != 0:
        with log.lock:
            log.failures.append(f"market list: {result.stderr.strip()}")
        return []
    return [f"{a['name']}:{a['version']}" for a in json.loads(result.stdout)]


def _remove_while(home: Path, workers: list[threading.Thread], deadline: float, log: Log) -> None:
    """Remove versions (keeping two for the others to read) while the workers run."""
    for i in range(MAX_REMOVES):
        if not any(t.is_alive() for t in workers) or time.monotonic() > deadline:
            return
        refs = _named_versions(home)
        if len(refs) > 2:
            log.run(home, "market", "remove", refs[i % (len(refs) - 1)])
        else:
            time.sleep(0.1)


def _named_versions(home: Path) -> list[str]:
    """App versions named in index.json, read directly (quicker than the CLI)."""
    try:
        index = json.loads((home / "store" / "index.json").read_text())
    except (OSError, ValueError):
        return []
    names = (
        m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
        for m in index["manifests"]
    )
    return sorted(n for n in names if n and "/" not in n)


def _exporter(home: Path, tmp: Path, log: Log) -> Callable[[int], None]:
    def step(i: int) -> None:
        refs = _market(home, log)
        if refs:
            log.run(home, "export", refs[-1 - i % len(refs)], "-o", str(tmp / f"export-{i}.tar"))

    return step


def _importer(home: Path, bundles: list[Path], log: Log) -> Callable[[int], None]:
    def step(i: int) -> None:
        log.run(home, "import", str(bundles[i % len(bundles)]))

    return step


def _vendor_bundles(tmp: Path, images: Images) -> list[Path]:
    """gamma 2.0.x, published in another home and exported, for the importer."""
    vendor = tmp / "vendor"
    out = []
    for i in range(3):
        version = f"2.0.{i}"
        model = _model(tmp, "gamma", version, images, i, fail=False)
        run_sealift(vendor, "publish", str(model), "--source", "registry")
        out.append(tmp / f"gamma-{version}.tar")
        run_sealift(vendor, "export", f"gamma:{version}", "-o", str(out[-1]))
    return out


def _loop(step: Callable[[int], None], rounds: int, deadline: float, log: Log) -> None:
    for i in range(rounds):
        if time.monotonic() > deadline:
            return
        try:
            step(i)
        except Exception as exc:  # a timeout or a bug in the test: count it, never hang
            with log.lock:
                log.failures.append(f"{step}: {exc!r}")


def test_parallel_publish_import_remove_export_keep_the_store_sound(
    tmp_path: Path, images: Images
) -> None:
    home = tmp_path / "home"
    bundles = _vendor_bundles(tmp_path, images)
    log = Log()
    steps = [
        _publisher(home, tmp_path, "alpha", images, log),
        _publisher(home, tmp_path, "beta", images, log),
        _importer(home, bundles, log),
        _exporter(home, tmp_path, log),
    ]
    deadline = time.monotonic() + DEADLINE
    workers = [threading.Thread(target=_loop, args=(s, ROUNDS, deadline, log)) for s in steps]
    remover = threading.Thread(target=_remove_while, args=(home, workers, deadline, log))
    for t in [*workers, remover]:
        t.start()
    for t in [*workers, remover]:
        t.join(DEADLINE + 130)
    assert not any(t.is_alive() for t in [*workers, remover])
    assert log.failures == []
    assert log.done >= 20

    check = run_sealift(home, "store", "check", "--json", check=False)
    assert check.returncode == 0, check.stdout
    assert json.loads(check.stdout)["ok"]
    left = _market(home, log)
    assert left, "the loops removed everything; nothing left to export"
    for ref in left:
        bundle = tmp_path / f"final-{ref.replace(':', '-')}.tar"
        run_sealift(home, "export", ref, "-o", str(bundle))
        fresh = tmp_path / f"fresh-{ref.replace(':', '-')}"
        run_sealift(fresh, "import", str(bundle))
        assert _market(fresh, log) == [ref]
        assert run_sealift(fresh, "store", "check").returncode == 0
