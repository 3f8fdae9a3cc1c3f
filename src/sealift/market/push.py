"""`sealift push`: every component image of app versions into the site's registry, as
`HOST[/PREFIX]/<app>/<component>:<version>` (the names `registry serve` uses)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sealift.errors import UsageError
from sealift.market.catalog import AppVersion, Market
from sealift.market.siteregistry import image_name
from sealift.oci.descriptor import Platform
from sealift.oci.push import Destination, PushCount, Pusher
from sealift.oci.reference import parse_reference
from sealift.progress import NO_PROGRESS, Progress

__all__ = ["PushCount", "PushOptions", "push", "target_name"]


@dataclass(frozen=True)
class PushOptions:
    to: str  # HOST[:PORT][/PREFIX]
    platforms: Sequence[Platform] = ()
    insecure: bool = False
    ca_cert: Path | None = None
    docker_config: Path | None = None


def target_name(to: str, app: AppVersion, component: str) -> str:
    """`reg.site:5000/vendor` + shop/web 1.0.0 -> `reg.site:5000/vendor/shop/web:1.0.0`."""
    return f"{to.rstrip('/')}/{image_name(app, component)}:{app.version}"


def push(
    market: Market,
    apps: Sequence[AppVersion],
    options: PushOptions,
    progress: Progress = NO_PROGRESS,
) -> PushCount:
    """Push every component image of `apps`; a re-run sends only what is missing."""
    _check_target(options.to)
    destination = Destination(options.insecure, options.ca_cert, options.docker_config)
    pusher = Pusher(market.layout, destination, progress)
    with market.layout.lease():  # nothing is deleted while it is read
        for app in apps:
            for comp in app.components:
                target = target_name(options.to, app, comp.name)
                progress.note(f"pushing {target}")
                pusher.push(target, comp.descriptor, options.platforms)
    return pusher.count


def _check_target(to: str) -> None:
    host = to.split("/", 1)[0]
    if "." not in host and ":" not in host and host != "localhost":
        raise UsageError(
            f"--to {to!r} does not start with a registry host (HOST[:PORT][/PREFIX], "
            "for example registry.site:5000/vendor)"
        )
    parse_reference(f"{to.rstrip('/')}/app/component:1")
