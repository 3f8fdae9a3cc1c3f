"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from sealift.oci.descriptor import Platform

F = TypeVar("F", bound=Callable[..., Any])


def _parse_platforms(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[Platform, ...]:
    try:
        return tuple(Platform.parse(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def platform_options(func: F) -> F:
    """`--platform P` (repeatable), parsed into Platform values."""
    return click.option(
        "--platform",
        "platforms",
        multiple=True,
        metavar="OS/ARCH",
        callback=_parse_platforms,
        help="Keep only this platform (repeatable), e.g. linux/arm64.",
    )(func)
