#!/usr/bin/env bash
# Builds the example app's images (examples/shop/images/) for linux/amd64 and linux/arm64 and
# makes them multi-platform images 127.0.0.1:5055/shop/<component>:<version> in a vendor-side
# registry, which stands for the vendor's CI registry (the site never talks to it).
# Idempotent: only what changed is built or pushed; a running registry is reused.
#
#   scripts/build-examples.sh            build, start the registry if needed, push
#   scripts/build-examples.sh --stop     stop the registry this script started
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=127.0.0.1:5055
APP_DIR=examples/shop
PREFIX=$REGISTRY/shop
ARCHES=(amd64 arm64)
WORK=demo-work/vendor-registry
PY=.venv/bin/python

say() { printf '  -> %s\n' "$*"; }

registry_up() { curl -fsS -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null; }

start_registry() {
  if registry_up; then
    say "vendor registry: reusing the one answering on $REGISTRY"
    return
  fi
  mkdir -p "$WORK/data"
  cat >"$WORK/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $PWD/$WORK/data}
  delete: {enabled: true}
http: {addr: $REGISTRY}
EOF
  say "vendor registry: starting docker-registry on $REGISTRY (data in $WORK/data)"
  nohup docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
  echo $! >"$WORK/registry.pid"
  for _ in $(seq 100); do
    registry_up && return
    sleep 0.2
  done
  echo "error: the vendor registry did not start; see $WORK/registry.log" >&2
  exit 1
}

stop_registry() {
  local pid
  pid=$(cat "$WORK/registry.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = docker-registry ]; then
    say "vendor registry: stopping (pid $pid)"
    kill "$pid"
  fi
  rm -f "$WORK/registry.pid"
}

if [ "${1:-}" = --stop ]; then
  stop_registry
  exit 0
fi

arch_args=()
for arch in "${ARCHES[@]}"; do arch_args+=(--arch "$arch"); done

say "building the images of $APP_DIR for ${ARCHES[*]} in the local engine"
mkdir -p "$WORK"
"$PY" scripts/example-images.py --app-dir "$APP_DIR" --prefix "$PREFIX" "${arch_args[@]}" \
  >"$WORK/images.txt"

start_registry

say "pushing every platform and the multi-platform index of each image to $REGISTRY"
# images.txt: "<component> <version> <source>"; one push per (component, source).
sort -k1,1 -k3,3 "$WORK/images.txt" | awk '
  { key = $1 " " $3; if (!(key in tags)) order[n++] = key; tags[key] = tags[key] " --tag " $2 }
  END { for (i = 0; i < n; i++) print order[i] tags[order[i]] }' |
  while read -r component source tags; do
    # shellcheck disable=SC2086 # $tags is a list of "--tag V" words
    "$PY" scripts/push-multiarch.py "$PREFIX/$component" --source "$source" "${arch_args[@]}" $tags
  done

say "images ready:"
while read -r component version _; do
  printf '       %s/%s:%s\n' "$PREFIX" "$component" "$version"
done < <(sort "$WORK/images.txt")
