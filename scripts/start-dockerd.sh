#!/usr/bin/env bash
# Starts dockerd in the background (there is no systemd here) and waits for its socket.
set -euo pipefail
if /usr/bin/docker info >/dev/null 2>&1; then exit 0; fi
echo "==> starting dockerd"
nohup dockerd >/var/log/sealift-dockerd.log 2>&1 &
for _ in $(seq 60); do
  if /usr/bin/docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "error: dockerd did not start; see /var/log/sealift-dockerd.log" >&2
exit 1
