"""Build small real images in the real Docker engine: FROM scratch + static busybox.

Used by every integration test, the demo and the benchmarks. No image ever comes
from a hub.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
AMD64_BUSYBOX = Path("/bin/busybox")


def busybox_for(arch: str) -> Path:
    if arch == "amd64":
        return AMD64_BUSYBOX
    if arch == "arm64":
        out = subprocess.run(
            [str(ROOT / "scripts" / "busybox-arm64.sh")], check=True, capture_output=True, text=True
        ).stdout.strip()
        return Path(out)
    raise ValueError(f"no busybox for {arch}")


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def build_image(
    client: docker.DockerClient,
    tag: str,
    *,
    arch: str = "amd64",
    files: dict[str, bytes | str] | None = None,
    big_file_mib: int = 0,
    extra_dockerfile: str = "",
    cmd: list[str] | None = None,
) -> str:
    """Build `tag` for `arch` with busybox, `files` (path -> content, executables
    when they start with '#!'), an optional incompressible file of `big_file_mib` MiB,
    and return the image id."""
    context = io.BytesIO()
    lines = [
        "FROM scratch",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ]
    with tarfile.open(fileobj=context, mode="w") as tar:
        tar.add(str(busybox_for(arch)), arcname="busybox")
        for i, (path, content) in enumerate(sorted((files or {}).items())):
            data = content.encode() if isinstance(content, str) else content
            mode = 0o755 if data.startswith(b"#!") else 0o644
            _add_file(tar, f"f{i}", data, mode)
            lines.append(f"COPY f{i} {path}")
        if big_file_mib:
            _add_file(tar, "big", os.urandom(big_file_mib * 1024 * 1024))
            lines.append("COPY big /big.bin")
        if extra_dockerfile:
            lines.append(extra_dockerfile)
        if cmd:
            lines.append("CMD " + str(cmd).replace("'", '"'))
        _add_file(tar, "Dockerfile", ("\n".join(lines) + "\n").encode())
    context.seek(0)
    image, _ = client.images.build(
        fileobj=context,
        custom_context=True,
        tag=tag,
        platform=f"linux/{arch}",
        rm=True,
        forcerm=True,
    )
    return str(image.id)


def run_output(
    client: docker.DockerClient,
    image: str,
    command: list[str] | None = None,
    platform: str | None = None,
) -> bytes:
    """Run `image` to completion and return its stdout.

    Unlike `containers.run(..., remove=True)`, this reads the log only after the
    container has exited and before it is removed, so a fast exit never loses output."""
    container = client.containers.create(image, command, platform=platform)
    try:
        container.start()
        result = container.wait(timeout=120)
        assert result["StatusCode"] == 0, f"{image} exited with {result['StatusCode']}"
        return bytes(container.logs(stdout=True, stderr=False))
    finally:
        container.remove(force=True)
