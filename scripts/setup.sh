#!/usr/bin/env bash
# Installs what sealift needs on a fresh Debian 12 machine (as root) and starts
# dockerd. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

APT_PACKAGES=(docker.io docker-registry skopeo busybox-static qemu-user-static binfmt-support)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if [ ! -x .venv/bin/sealift ] || [ pyproject.toml -nt .venv/.installed ]; then
  say "creating .venv with sealift and the dev tools"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  touch .venv/.installed
fi

scripts/start-dockerd.sh

if [ -d /proc/sys/fs/binfmt_misc ] && [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  say "enabling arm64 emulation"
  update-binfmts --enable qemu-aarch64 || say "warning: could not enable arm64 emulation"
fi
say "setup done"
