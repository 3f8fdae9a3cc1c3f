"""What an export writes: the app versions (platform-filtered), every blob they reach in
member order, and for a differential bundle what it leaves out and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sealift.bundle.graph import Graph
from sealift.bundle.inventory import Inventory
from sealift.bundle.manifest import AppRef, BlobEntry
from sealift.bundle.platforms import filter_app
from sealift.errors import SealiftError
from sealift.market.catalog import AppVersion, Market
from sealift.market.format import COMPONENT, component_ref, split_ref
from sealift.oci.descriptor import Descriptor, Platform


@dataclass(frozen=True)
class ExportOptions:
    refs: list[str]
    platforms: list[Platform] = field(default_factory=list)
    since: list[str] = field(default_factory=list)  # "1.0.0" (every app) or "shop:1.0.0"
    inventory: Inventory | None = None
    runtime: Path | None = None
    """A sealift.pyz to carry as the bundle's member `sealift.pyz` (`export --with-runtime`)."""


@dataclass(frozen=True)
class PlannedApp:
    ref: AppRef
    descriptor: Descriptor  # the app index as exported (rewritten if platforms dropped)
    components: list[tuple[str, Descriptor]]

    def named_entries(self) -> list[tuple[str, Descriptor]]:
        """(ref name, descriptor) pairs for the bundle's index.json."""
        out = [(self.ref.ref, self.descriptor)]
        out += [(component_ref(self.ref.name, c, self.ref.version), d) for c, d in self.components]
        return out


@dataclass
class ExportPlan:
    graph: Graph
    apps: list[PlannedApp]
    blobs: list[BlobEntry]
    platforms: list[str]
    bases: list[AppRef] = field(default_factory=list)
    left_out: list[BlobEntry] = field(default_factory=list)
    runtime: Path | None = None


def plan_export(market: Market, options: ExportOptions) -> ExportPlan:
    if not options.refs:
        raise SealiftError("name at least one app version to export, like shop:1.0.0")
    graph = Graph(market.layout)
    versions = _unique([market.find(ref) for ref in options.refs])
    apps = [_plan_app(graph, v, options.platforms) for v in versions]
    blobs = graph.entries([a.descriptor for a in apps])
    bases, skip = _left_out(market, versions, options)
    keep_always = {a.descriptor.digest for a in apps}
    left_out = [b for b in blobs if b.digest in skip and b.digest not in keep_always]
    dropped = {b.digest for b in left_out}
    return ExportPlan(
        graph,
        apps,
        [b for b in blobs if b.digest not in dropped],
        _platform_names(versions, options.platforms),
        bases,
        left_out,
        options.runtime,
    )


def _unique(versions: list[AppVersion]) -> list[AppVersion]:
    seen: dict[str, AppVersion] = {}
    for v in versions:
        seen.setdefault(v.ref, v)
    return list(seen.values())


def _plan_app(graph: Graph, version: AppVersion, platforms: list[Platform]) -> PlannedApp:
    index = version.descriptor
    if platforms:
        index = filter_app(graph, index, version.ref, platforms)
    entries = [Descriptor.from_json(m) for m in graph.read(index).get("manifests", [])]
    components = [
        (e.annotations[COMPONENT], e.with_annotations({}))
        for e in entries
        if COMPONENT in e.annotations
    ]
    ref = AppRef(version.name, version.version, index.digest, index.size)
    return PlannedApp(
        ref,
        Descriptor(
            index.media_type,
            index.digest,
            index.size,
            artifact_type=version.descriptor.artifact_type,
        ),
        components,
    )


def _left_out(
    market: Market, versions: list[AppVersion], options: ExportOptions
) -> tuple[list[AppRef], set[str]]:
    bases: list[AppRef] = []
    skip: set[str] = set()
    for base in _since_versions(market, versions, options.since):
        bases.append(AppRef(base.name, base.version, base.descriptor.digest))
        skip |= market.blobs(base)
    if options.inventory is not None:
        bases.extend(options.inventory.apps)
        skip |= options.inventory.blobs
    return bases, skip


def _since_versions(
    market: Market, versions: list[AppVersion], since: list[str]
) -> list[AppVersion]:
    names = [v.name for v in versions]
    out: list[AppVersion] = []
    for item in since:
        if ":" in item:
            name, version = split_ref(item)
            if name not in names:
                raise SealiftError(f"--since {item}: {name} is not among the exported apps")
            out.append(market.get(name, version))
        else:
            out.extend(market.get(name, item) for name in dict.fromkeys(names))
    return out


def _platform_names(versions: list[AppVersion], wanted: list[Platform]) -> list[str]:
    if wanted:
        return [str(p) for p in wanted]
    found = {str(p) for v in versions for c in v.components for p in c.platforms}
    return sorted(found)
