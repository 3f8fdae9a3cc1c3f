#!/usr/bin/env bash
# `make demo`: sealift's whole story with the example shop (examples/shop), using only the
# `sealift` command and two homes: the vendor's (demo-work/vendor) and an offline site's
# (demo-work/site). The vendor uses the installed `sealift`; the site has only python3 and
# runs sealift.pyz, the site runtime it takes out of the first bundle with tar
# (SITE_PYTHON=/path/to/python3.9 make demo shows it on another Python). Every site command
# (import, install, upgrade, rollback, status, history) runs under `unshare -n`, with no
# network at all: the Docker socket is a file, so the engine is still reachable, and health
# checks run inside the containers' own network namespaces. Only the demo's own checks
# (curl, "the user's browser") run on the host's network. Re-runnable: it first removes what
# an earlier run installed.
set -euo pipefail
cd "$(dirname "$0")/.."

SEALIFT=.venv/bin/sealift
SITE_PYTHON=${SITE_PYTHON:-/usr/bin/python3} # the site's own python3: no venv, no pip
WORK=demo-work
VENDOR=$WORK/vendor
SITE=$WORK/site
PORT=18080
APP_URL=http://127.0.0.1:$PORT
ITEM=demo-teapot

if [ -t 1 ]; then BOLD=$'\033[1m' DIM=$'\033[2m' OFF=$'\033[0m'; else BOLD="" DIM="" OFF=""; fi

step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
say() { printf '%s%s%s\n' "$DIM" "$*" "$OFF"; }
show() { printf '%s$ %s%s\n' "$BOLD" "$*" "$OFF"; }
run() { show "$*"; "$@"; }
vendor() { run "$SEALIFT" --home "$VENDOR" "$@"; }
# The site has no network: `unshare -n` gives the command an empty network namespace.
# It runs the sealift.pyz that came in the bundle, with its own python3.
site() { run unshare -n "$SITE_PYTHON" "$SITE/sealift.pyz" --home "$SITE" "$@"; }

fail() { printf 'demo failed: %s\n' "$*" >&2; exit 1; }

# get PATH: the app's answer on the host (outside unshare: this is the user's browser).
get() { curl -fsS --max-time 10 "$APP_URL$1"; }

# check PATH TEXT: show the app's answer to PATH and insist that it contains TEXT.
check() {
  local answer
  show "curl -s $APP_URL$1"
  answer=$(get "$1") || fail "$APP_URL$1 did not answer"
  printf '%s\n' "$answer"
  grep -qF -- "$2" <<<"$answer" || fail "$APP_URL$1 does not contain '$2'"
}

wait_for_app() {
  for _ in $(seq 60); do
    get /healthz >/dev/null 2>&1 && return
    sleep 1
  done
  fail "the shop did not answer on $APP_URL within 60s"
}

size_of() { numfmt --to=iec --suffix=B "$(stat -c %s "$1")"; }

step "0. Start clean: remove an earlier demo install and reset the demo homes"
if [ -f "$SITE/state.db" ]; then
  run "$SEALIFT" --home "$SITE" uninstall shop --purge || say "(nothing to remove)"
fi
run rm -rf "$VENDOR" "$SITE" "$WORK"/shop-*.tar
mkdir -p "$VENDOR" "$SITE"

step "1. Vendor: build the shop's images for linux/amd64 and linux/arm64 (vendor CI registry)"
run scripts/build-examples.sh

step "2. Vendor: publish shop 1.0.0 and 1.1.0 into the vendor's market"
say "Every image is pinned to a digest and copied, with both platforms, into $VENDOR/store."
vendor publish examples/shop/1.0.0/sealift.yaml --source registry
vendor publish examples/shop/1.1.0/sealift.yaml --source registry
vendor market list

step "3. Vendor: export a full bundle of 1.0.0 and a differential bundle of 1.1.0"
say "The first one also carries sealift itself (sealift.pyz), for a site that has only python3."
vendor export shop:1.0.0 -o "$WORK/shop-1.0.0.tar" --with-runtime
vendor export shop:1.1.0 --since 1.0.0 -o "$WORK/shop-1.1.0-diff.tar"
say "One file per delivery; the 1.1.0 bundle leaves out everything 1.0.0 already brought:"
for bundle in "$WORK/shop-1.0.0.tar" "$WORK/shop-1.1.0-diff.tar"; do
  printf '  %-32s %s\n' "$bundle" "$(size_of "$bundle")"
done
say "Before the files travel, read the differential one back and prove every blob:"
vendor bundle inspect "$WORK/shop-1.1.0-diff.tar" --check

step "4. Site (no network): take sealift out of the bundle, import both bundles"
say "The files travel by USB stick; the site has no registry, no internet and no pip."
show "(cd $SITE && tar -xf ../shop-1.0.0.tar sealift.pyz)"
(cd "$SITE" && tar -xf ../shop-1.0.0.tar sealift.pyz)
site version
site import "$WORK/shop-1.0.0.tar"
site import "$WORK/shop-1.1.0-diff.tar"
site market list

step "5. Site: install shop 1.0.0 on this Docker host, storefront on port $PORT"
site install shop:1.0.0 --name shop --set public_port=$PORT --bind-address 127.0.0.1
wait_for_app
check / "API 1.0.0"
say "Store an item through the API:"
show "curl -s -d name=$ITEM $APP_URL/cgi-bin/api/items"
curl -fsS --max-time 10 -d "name=$ITEM" "$APP_URL/cgi-bin/api/items"
echo
check /cgi-bin/api/items "$ITEM"

step "6. Site: upgrade to 1.1.0 (first the plan, then the upgrade)"
site upgrade shop 1.1.0 --dry-run
site upgrade shop 1.1.0
wait_for_app
check /cgi-bin/api/version '"version":"1.1.0"'
say "1.1.0's API also counts the items; the item stored under 1.0.0 is still there:"
check /cgi-bin/api/items '"count":'
check /cgi-bin/api/items "$ITEM"

step "7. Site: roll back to the previous revision (1.0.0)"
site rollback shop
wait_for_app
check /cgi-bin/api/version '"version":"1.0.0"'
check /cgi-bin/api/items "$ITEM"

step "8. Site: status and history"
site status shop
site history shop

run scripts/build-examples.sh --stop

step "Done"
cat <<EOF
The shop (1.0.0 after the rollback) keeps running on this host:
  open          $APP_URL/
  API           $APP_URL/cgi-bin/api/items
  status        $SITE_PYTHON $SITE/sealift.pyz --home $SITE status shop
  upgrade again $SITE_PYTHON $SITE/sealift.pyz --home $SITE upgrade shop 1.1.0
  remove        $SITE_PYTHON $SITE/sealift.pyz --home $SITE uninstall shop          (keeps the data)
  remove all    $SITE_PYTHON $SITE/sealift.pyz --home $SITE uninstall shop --purge  (deletes it too)
EOF
