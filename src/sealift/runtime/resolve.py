"""Which wheels of a wheelhouse a target needs: sealift's own requirements and, through each
wheel's METADATA, everything they require, with markers evaluated for the target."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sealift.errors import RuntimeBuildError
from sealift.runtime.wheels import Target, Wheel, applies


@dataclass
class Resolution:
    """The wheels chosen for one target, and the requirements no wheel satisfied."""

    target: Target
    chosen: dict[str, Wheel] = field(default_factory=dict)
    missing: list[Requirement] = field(default_factory=list)


def resolve(requirements: Iterable[Requirement], wheels: list[Wheel], target: Target) -> Resolution:
    """Walk the requirements breadth first; the newest fitting wheel wins each name."""
    result = Resolution(target)
    queue = [req for req in requirements if applies(req, target)]
    while queue:
        req = queue.pop(0)
        name = canonicalize_name(req.name)
        if name in result.chosen:
            check_consistent(result.chosen[name], req, target)
            continue
        wheel = best(req, wheels, target)
        if wheel is None:
            result.missing.append(req)
            continue
        result.chosen[name] = wheel
        queue.extend(wheel.requires(target))
    return result


def best(req: Requirement, wheels: list[Wheel], target: Target) -> Wheel | None:
    name = canonicalize_name(req.name)
    fits = [
        wheel
        for wheel in wheels
        if wheel.name == name and allows(req, wheel) and wheel.runs_on(target)
    ]
    if not fits:
        return None
    newest = max(wheel.version for wheel in fits)
    return min((w for w in fits if w.version == newest), key=lambda w: w.rank(target) or ())


def check_consistent(wheel: Wheel, req: Requirement, target: Target) -> None:
    if not req.specifier.contains(wheel.version, prereleases=True):
        raise RuntimeBuildError(
            f"{wheel.filename} was chosen for {target.name} but something else needs "
            f"{req}; pin a version that satisfies both in pyproject.toml"
        )


def allows(req: Requirement, wheel: Wheel) -> bool:
    """The requirement takes this version: a pre-release only when the pin names one."""
    return req.specifier.contains(wheel.version, prereleases=bool(req.specifier.prereleases))
