"""`install.sh` of a Compose package: checks the site, then `docker load` and `up -d`.

POSIX sh (dash, busybox ash, bash). It never downloads anything: the images are in
images.tar and the Compose file says `pull_policy: never`. Each failure is one line on
stderr that says what to do, and the exit status 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

IMAGES = "images.tar"
SUMS = "SHA256SUMS"
DEFAULTS = "defaults.env"
"""The `.env` as shipped: install.sh makes `.env` from it (the site's file, never checked)."""
SPACE_FACTOR = 3
"""Images take about this many times their archive's size once loaded (layers unpacked)."""

_HEAD = """#!/bin/sh
# Installs {title} with Docker Compose on this host, with no network: the images are in
# {images}, loaded with `docker load`; then `up -d`. Run it again to apply a changed .env.
set -eu
cd "$(dirname "$0")"
die() {{ echo "error: $*" >&2; exit 1; }}
again="then run $0 again"

command -v docker >/dev/null 2>&1 ||
  die "Docker is not installed (no docker command on PATH): install Docker Engine 20.10+, $again"
if command -v docker-compose >/dev/null 2>&1; then
  compose() {{ docker-compose "$@"; }}
elif docker compose version >/dev/null 2>&1; then
  compose() {{ docker compose "$@"; }}
else
  die "Docker Compose is not installed (no docker-compose, no docker compose):" \\
    "install docker-compose 1.29 or later, $again"
fi
docker info >/dev/null 2>&1 ||
  die "the Docker engine is not reachable: start it (or set DOCKER_HOST), $again"

command -v sha256sum >/dev/null 2>&1 || die "sha256sum is missing: install coreutils, $again"
if ! checked=$(sha256sum -c {sums} 2>&1); then
  bad=$(printf '%s\\n' "$checked" | grep ': FAILED' | sed 's/: FAILED.*//' | head -n 3)
  die "the package is damaged (changed: $(printf '%s' "$bad" | tr '\\n' ' ')):" \\
    "copy it again from the original"
fi

# .env holds the site's values: made from {defaults} once, kept by later runs and upgrades
# (copy it from the old version's directory); parameters new in this version are added.
[ -f .env ] || cp {defaults} .env
grep -E '^[A-Za-z_][A-Za-z0-9_]*=' {defaults} | while IFS= read -r line; do
  grep -q "^${{line%%=*}}=" .env || printf '%s\\n' "$line" >>.env
done

need_kib={need_kib}
root=$(docker info --format '{{{{.DockerRootDir}}}}' 2>/dev/null || true)
if [ -n "$root" ] && [ -d "$root" ]; then
  free_kib=$(df -Pk "$root" | awk 'NR == 2 {{ print $4 }}')
  [ "$free_kib" -ge "$need_kib" ] ||
    die "not enough space for the images in $root: $((need_kib / 1024)) MiB needed," \\
      "$((free_kib / 1024)) MiB free; free some space, $again"
fi
"""

_SECRET = """
if grep -q "^{name}=''$" .env; then
  value=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c {length})
  sed -i "s/^{name}=''$/{name}='$value'/" .env
fi
"""

_REQUIRED = """
if grep -q "^{name}=''$" .env && [ -z "${{{name}:-}}" ]; then
  die "parameter {name} has no value: set it in .env ({name}='...'), $again"
fi
"""

_PERMISSION = '"cannot give the config files their mode and owner: run $0 as root"'

_TAIL = """
chmod 600 .env
echo "loading the images of {title}"
docker load -q -i {images} >/dev/null
echo "starting {title}"
compose up -d --no-build
echo "{title} is up: see it with 'docker-compose ps' in $(pwd)"
"""


@dataclass(frozen=True)
class InstallScript:
    title: str  # `shop 1.1.0`
    images_size: int
    generated: Mapping[str, int] = field(default_factory=dict)
    """Parameters made at the first install (length), when .env has no value for them."""
    required: Sequence[str] = ()
    permissions: Sequence[str] = ()
    """Shell commands that give the config files their mode and owner."""


def install_script(spec: InstallScript) -> str:
    need_kib = -(-spec.images_size * SPACE_FACTOR // 1024)
    text = _HEAD.format(
        title=spec.title, images=IMAGES, sums=SUMS, need_kib=need_kib, defaults=DEFAULTS
    )
    for name, length in spec.generated.items():
        text += _SECRET.format(name=name, length=length)
    for name in spec.required:
        text += _REQUIRED.format(name=name)
    if spec.permissions:
        text += "\n" + "\n".join(f"{c} || die {_PERMISSION}" for c in spec.permissions) + "\n"
    return text + _TAIL.format(title=spec.title, images=IMAGES)
