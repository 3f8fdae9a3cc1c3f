"""Start the console: check where it may listen, make or read the admin password, and serve
with uvicorn (TLS through its ssl options)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import UsageError
from sealift.web.auth import USER, Sessions, admin_password
from sealift.web.console import Console, Settings

DEFAULT_LISTEN = "127.0.0.1:8700"


@dataclass(frozen=True)
class ServeOptions:
    home: Path
    listen: str = DEFAULT_LISTEN
    import_dir: Path | None = None
    password_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    insecure_http: bool = False


def parse_listen(text: str) -> tuple[str, int]:
    """`ADDRESS:PORT` (an IPv6 address in brackets) -> (address, port)."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        number = -1
    if not sep or not 0 < number < 65536:
        raise UsageError(f"--listen {text!r} is not ADDRESS:PORT, e.g. 127.0.0.1:8700")
    return host, number


def check_transport(host: str, options: ServeOptions) -> str:
    """Refuse plain HTTP beyond this host unless asked for; a warning when it is."""
    if (options.tls_cert is None) != (options.tls_key is None):
        raise UsageError("give both --tls-cert and --tls-key, or neither")
    if options.tls_cert is not None or ipaddress.ip_address(host).is_loopback:
        return ""
    if not options.insecure_http:
        raise UsageError(
            f"{host} is reachable from other machines: give --tls-cert and --tls-key, or "
            "--insecure-http to send the password and sessions unencrypted"
        )
    return (
        f"warning: serving on {host} over plain HTTP (--insecure-http): anyone on the network "
        "can read the password and take over a session"
    )


def prepare(options: ServeOptions, say: Callable[[str], None]) -> tuple[Console, str, int]:
    """The console to serve, after every check; says what a person must know (once)."""
    host, port = parse_listen(options.listen)
    warning = check_transport(host, options)
    if options.import_dir is not None and not options.import_dir.is_dir():
        raise UsageError(f"--import-dir {options.import_dir} is not a directory")
    settings = Settings(
        home=options.home,
        import_dir=options.import_dir.resolve() if options.import_dir else None,
        secure_cookies=options.tls_cert is not None,
    )
    settings.console_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    password_hash, made = admin_password(settings.console_dir, options.password_file)
    if made:
        say(f"admin password (shown this once; user {USER}): {made}")
    if warning:
        say(warning)
    return Console(settings, Sessions(password_hash)), host, port


def serve(options: ServeOptions, say: Callable[[str], None]) -> None:
    import uvicorn

    from sealift.web.app import make_app
    from sealift.web.fasth11 import FastH11Protocol

    console, host, port = prepare(options, say)
    scheme = "https" if options.tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    say(f"sealift console on {scheme}://{shown}:{port}/ (Ctrl-C stops it)")
    config = uvicorn.Config(
        make_app(console),
        host=host,
        port=port,
        ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
        ssl_keyfile=str(options.tls_key) if options.tls_key else None,
        log_level="warning",
        access_log=False,
        http=FastH11Protocol,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


__all__ = ["DEFAULT_LISTEN", "ServeOptions", "check_transport", "parse_listen", "prepare", "serve"]
