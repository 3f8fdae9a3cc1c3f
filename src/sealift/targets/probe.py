"""One http or tcp health probe of 127.0.0.1:<port>, shared by the drivers: docker runs it as a
child process inside a container's network namespace (see docker/health.py), standard library
only and by file path (`python -I -S probe.py ...`), so it starts fast and imports nothing of
sealift; where that is not possible, and on systemd (components share the host's network), the
same functions are called with an address directly.

    probe.py tcp PORT TIMEOUT
    probe.py http PORT PATH TIMEOUT [NAME:VALUE...]

Exit 0 when the check passes; otherwise exit 1 and print why not on one line.
"""

from __future__ import annotations

import http.client
import socket
import sys

LOOPBACK = "127.0.0.1"


def probe_tcp(port: int, timeout: float, host: str = LOOPBACK) -> str:
    """'' if something accepts connections on the port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as exc:
        return f"cannot connect to port {port}: {exc.strerror or exc}"


def probe_http(
    port: int,
    path: str,
    timeout: float,
    host: str = LOOPBACK,
    headers: dict[str, str] | None = None,
) -> str:
    """'' if GET path (with `headers`) answers 2xx/3xx, else why not."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return f"GET {path} on port {port} failed: {getattr(exc, 'strerror', None) or exc}"
    finally:
        conn.close()
    return "" if 200 <= status < 400 else f"GET {path} answered {status}"


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "tcp":
        why_not = probe_tcp(int(argv[1]), float(argv[2]))
    elif len(argv) >= 4 and argv[0] == "http":
        headers = dict(h.partition(":")[::2] for h in argv[4:])
        why_not = probe_http(int(argv[1]), argv[2], float(argv[3]), headers=headers)
    else:
        why_not = f"bad probe arguments: {' '.join(argv)}"
    if why_not:
        print(why_not)
    return 1 if why_not else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
