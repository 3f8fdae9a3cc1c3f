#!/usr/bin/env bash
# Prints the path of a static arm64 busybox, fetching Debian's package once
# (into .cache/) if it is not there yet. Vendor-side only: the site never runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/busybox-arm64
if [ ! -x "$out" ]; then
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" .cache
  opts=(-q -oAPT::Architecture=arm64 -oAPT::Architectures=arm64 "-oDir::State::Lists=$work/lists")
  apt-get "${opts[@]}" update >/dev/null
  (cd "$work" && apt-get "${opts[@]}" download busybox-static >/dev/null)
  dpkg -x "$work"/busybox-static_*_arm64.deb "$work/x"
  cp "$work/x/bin/busybox" "$out.tmp" && mv "$out.tmp" "$out"
  rm -rf "$work"
fi
echo "$PWD/$out"
