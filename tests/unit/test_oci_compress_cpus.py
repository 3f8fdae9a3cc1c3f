"""ISA-L picks its deflate code by CPU features; the gzip bytes (so every layer digest)
must not depend on them: the same image gets the same digest on any x86-64 machine with
SSE4.2 (x86-64-v2, every x86-64 CPU since 2008). Checked by running the compressor on
an emulated older CPU (qemu-user-static, installed by `make setup`). Emulated x86-64
without SSE4.2 and aarch64 give other bytes (see compress.py)."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from sealift.oci.compress import BLOCK, gzip_bytes

CODE = (
    "import hashlib\n"
    "from sealift.oci.compress import gzip_bytes\n"
    "from test_oci_compress_cpus import sample\n"
    "print(hashlib.sha256(gzip_bytes(sample())).hexdigest())\n"
)


def sample() -> bytes:
    r = random.Random(5)
    words = [bytes(r.randrange(97, 123) for _ in range(r.randrange(2, 9))) for _ in range(3000)]
    text = b" ".join(r.choice(words) for _ in range(BLOCK // 3))
    return random.Random(2).randbytes(BLOCK // 2) + text


@pytest.mark.parametrize("cpu", ["Nehalem", "Haswell"])
def test_the_same_bytes_on_older_x86_64_cpus(cpu: str) -> None:
    qemu = shutil.which("qemu-x86_64-static")
    if qemu is None:
        pytest.fail("qemu-x86_64-static is required (apt-get install qemu-user-static)")
    src = Path(__file__).resolve().parents[2] / "src"
    path = os.pathsep.join([str(src), str(Path(__file__).parent), *site.getsitepackages()])
    real_python = os.path.realpath(sys.executable)
    proc = subprocess.run(
        [qemu, "-cpu", cpu, real_python, "-c", CODE],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=300,
        check=True,
    )
    assert proc.stdout.split()[-1] == hashlib.sha256(gzip_bytes(sample())).hexdigest()
