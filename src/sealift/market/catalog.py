"""The local market: app versions in the OCI store, named in index.json."""

from __future__ import annotations

import builtins
import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealift.errors import AlreadyExistsError, NotFoundError, StoreError
from sealift.formats import semver_key
from sealift.market import format as fmt
from sealift.market.format import APP_ARTIFACT, APP_CONFIG, COMPONENT
from sealift.market.origin import Origin, without_origin
from sealift.oci import media
from sealift.oci.descriptor import Descriptor, Platform
from sealift.oci.layout import Layout
from sealift.oci.storecheck import StoreReport, check_layout

if TYPE_CHECKING:
    from sealift.model.app import AppModel

PRELOAD_WAIT = 10.0  # seconds a failed import waits for the model parser's thread

__all__ = [
    "APP_ARTIFACT",
    "APP_CONFIG",
    "COMPONENT",
    "AppVersion",
    "ComponentImage",
    "Market",
    "Origin",
    "model_parser_loading",
    "version_details",
    "version_summary",
]


@dataclass(frozen=True)
class ComponentImage:
    name: str
    image: str
    descriptor: Descriptor
    platforms: list[Platform]
    size: int


@dataclass(frozen=True)
class AppVersion:
    name: str
    version: str
    descriptor: Descriptor
    model_json: Mapping[str, Any]  # the normalized model as stored
    components: list[ComponentImage] = field(default_factory=list)
    created: str = ""
    origin: Origin = field(default_factory=Origin)  # where it came from, its signature

    @functools.cached_property
    def model(self) -> AppModel:
        return parse_stored_model(self.model_json)

    @property
    def ref(self) -> str:
        return fmt.version_ref(self.name, self.version)

    @property
    def digest(self) -> str:
        return self.descriptor.digest

    def component(self, name: str) -> ComponentImage:
        for comp in self.components:
            if comp.name == name:
                return comp
        raise NotFoundError(f"{self.ref} has no component named {name!r}")


class Market:
    """App versions published into (or imported into) one OCI store."""

    def __init__(self, store_dir: Path) -> None:
        self.layout = Layout.create(store_dir)

    def list(self) -> builtins.list[AppVersion]:
        with self.layout.lease():  # a version removed meanwhile is read whole or not at all
            apps = [self._read(desc) for desc in self._app_entries().values()]
        return sorted(apps, key=lambda a: (a.name, semver_key(a.version)))

    def has(self, name: str, version: str) -> bool:
        return fmt.version_ref(name, version) in self._app_entries()

    def get(self, name: str, version: str) -> AppVersion:
        with self.layout.lease():  # see list()
            desc = self._app_entries().get(fmt.version_ref(name, version))
            if desc is not None:
                return self._read(desc)
        raise NotFoundError(self._missing_message(name, version))

    def find(self, ref: str) -> AppVersion:
        return self.get(*fmt.split_ref(ref))

    def blobs(self, app: AppVersion) -> set[str]:
        return {d.digest for d in self.layout.walk(app.descriptor)}

    def register(
        self, index: Descriptor, *, force: bool = False, origin: Origin | None = None
    ) -> AppVersion:
        """Name an app index (whose blobs are all in the store) and its components, and
        record where it came from on its entry (see market/origin.py)."""
        app = replace(self._read(index), origin=origin or Origin())
        app.model  # noqa: B018 -- a version whose model does not validate is refused
        self._check_complete(app)
        names = {app.ref: index.with_annotations({**index.annotations, **app.origin.annotations()})}
        for comp in app.components:
            names[fmt.component_ref(app.name, comp.name, app.version)] = comp.descriptor
        with self.layout.editing_entries() as entries:
            existing = _named(entries).get(app.ref)
            if existing is not None and not force:
                if existing.digest == index.digest:  # named already: its record stays
                    return replace(app, origin=Origin.from_annotations(existing.annotations))
                raise AlreadyExistsError(
                    f"{app.ref} is already in the market with other content; versions are "
                    "immutable: publish a new version, or pass --force to replace it"
                )
            old = _owned_refs(app.name, app.version, entries)
            entries[:] = [e for e in entries if e.annotations.get(media.REF_NAME) not in old]
            entries.extend(
                d.with_annotations({**d.annotations, media.REF_NAME: ref})
                for ref, d in names.items()
            )
        return app

    def remove(
        self, name: str, version: str, on_wait: Callable[[], None] | None = None
    ) -> tuple[int, int]:
        """Forget a version, then free every blob nothing else in index.json reaches; that
        waits (after calling `on_wait`) for commands holding a lease on the store.
        Reads nothing but index.json first, so a damaged version can be removed too."""
        if not self.has(name, version):
            raise NotFoundError(self._missing_message(name, version))
        self.forget(name, version)
        freed = self.layout.collect_garbage(on_wait=on_wait)
        return freed or (0, 0)

    def record_origin(self, name: str, version: str, origin: Origin) -> None:
        """Replace the record of where a version came from (its content stays as it is)."""
        with self.layout.editing_entries() as entries:
            for at, entry in enumerate(entries):
                if entry.annotations.get(media.REF_NAME) == fmt.version_ref(name, version):
                    notes = {**without_origin(entry.annotations), **origin.annotations()}
                    entries[at] = entry.with_annotations(notes)

    def forget(self, name: str, version: str, digest: str | None = None) -> None:
        """Drop the names of a version (and of its components) from index.json; with
        `digest`, only while the version is still that digest. Frees no blob."""
        with self.layout.editing_entries() as entries:
            current = _named(entries).get(fmt.version_ref(name, version))
            if current is None or digest not in (None, current.digest):
                return
            owned = _owned_refs(name, version, entries)
            entries[:] = [e for e in entries if e.annotations.get(media.REF_NAME) not in owned]

    def check(self) -> StoreReport:
        """Verify every blob and reference of the store (under a lease: nothing is
        deleted meanwhile)."""
        with self.layout.lease():
            return check_layout(self.layout)

    # -- reading ----------------------------------------------------------------

    def _app_entries(self) -> dict[str, Descriptor]:
        return {
            ref: d
            for ref, d in self.layout.refs().items()
            if d.artifact_type == APP_ARTIFACT and "/" not in ref
        }

    def _read(self, desc: Descriptor) -> AppVersion:
        doc = self.layout.read_json(desc.digest)
        if doc.get("artifactType") != APP_ARTIFACT:
            raise StoreError(f"{desc.digest} is not a sealift app version")
        annotations = doc.get("annotations") or {}
        entries = [Descriptor.from_json(m) for m in doc.get("manifests", [])]
        model = self._read_model(entries)
        components = model.get("components")
        images = components if isinstance(components, dict) else {}
        app_desc = Descriptor(
            desc.media_type,
            desc.digest,
            desc.size,
            {k: v for k, v in without_origin(desc.annotations).items() if k != media.REF_NAME},
            artifact_type=APP_ARTIFACT,
        )
        return AppVersion(
            name=str(annotations.get(fmt.APP_NAME, model.get("name"))),
            version=str(annotations.get(fmt.APP_VERSION, model.get("version"))),
            descriptor=app_desc,
            model_json=model,
            components=[self._component(e, images) for e in entries if COMPONENT in e.annotations],
            created=str(annotations.get(fmt.CREATED, "")),
            origin=Origin.from_annotations(desc.annotations),
        )

    def _read_model(self, entries: builtins.list[Descriptor]) -> dict[str, Any]:
        """The stored model as JSON; parsed into an AppModel only where it is used."""
        for entry in entries:
            if entry.annotations.get(fmt.ROLE) == "model":
                manifest = self.layout.read_json(entry.digest)
                config = Descriptor.from_json(manifest["config"])
                data = self.layout.read_json(config.digest)
                if isinstance(data, dict):
                    return data
                raise StoreError("the stored model of an app version is not a JSON object")
        raise StoreError("app version has no model manifest")

    def _component(self, entry: Descriptor, images: dict[str, Any]) -> ComponentImage:
        name = entry.annotations[COMPONENT]
        spec = images.get(name)
        image = spec.get("image") if isinstance(spec, dict) else None
        return ComponentImage(
            name=name,
            image=image if isinstance(image, str) else "",
            descriptor=entry.with_annotations({}),
            platforms=self._platforms(entry),
            size=sum(d.size for d in self.layout.walk(entry)),
        )

    def _platforms(self, desc: Descriptor) -> builtins.list[Platform]:
        if desc.media_type in media.INDEX_TYPES:
            return [c.platform for c in self.layout.children(desc) if c.platform is not None]
        manifest = self.layout.read_json(desc.digest)
        config = self.layout.read_json(Descriptor.from_json(manifest["config"]).digest)
        if "architecture" not in config:
            return []
        return [Platform.from_json(config)]

    def _check_complete(self, app: AppVersion) -> None:
        missing = [
            d.digest for d in self.layout.walk(app.descriptor) if not self.layout.has_blob(d.digest)
        ]
        if missing:
            raise StoreError(
                f"{app.ref} is incomplete: {len(missing)} blob(s) missing "
                f"from the store, first {missing[0]}"
            )

    def _missing_message(self, name: str, version: str) -> str:
        others = sorted((a.version for a in self._versions_of(name)), key=semver_key)
        if others:
            return f"{name}:{version} is not in the market; it has {name} {', '.join(others)}"
        return (
            f"{name}:{version} is not in the market; `sealift market list` shows "
            "what is, `sealift publish` or `sealift import` adds to it"
        )

    def _versions_of(self, name: str) -> builtins.list[AppVersion]:
        with self.layout.lease():
            entries = self._app_entries().items()
            return [self._read(d) for ref, d in entries if ref.split(":", 1)[0] == name]


def _named(entries: list[Descriptor]) -> dict[str, Descriptor]:
    return {e.annotations[media.REF_NAME]: e for e in entries if media.REF_NAME in e.annotations}


def _owned_refs(name: str, version: str, entries: list[Descriptor]) -> set[str]:
    """The app ref and its component refs (`shop:1.0.0`, `shop/*:1.0.0`)."""
    prefix, suffix = f"{name}/", f":{version}"
    return {
        ref
        for ref in _named(entries)
        if ref == fmt.version_ref(name, version)
        or (
            ref.startswith(prefix)
            and ref.endswith(suffix)
            and "/" not in ref[len(prefix) : -len(suffix)]
        )
    }


def parse_stored_model(data: Mapping[str, Any]) -> AppModel:
    """Validate a stored model. pydantic and the model's schema take ~0.2 s to load;
    export, inventory and most market reads never need them, so they load here."""
    from sealift.model.normal import from_json

    return from_json(dict(data))


def _load_model_parser() -> None:
    import sealift.model.normal  # noqa: F401


@contextlib.contextmanager
def model_parser_loading(needed: bool) -> Iterator[Callable[[], None]]:
    """Registering validates each model: its parser (~0.2 s of imports) loads in a thread
    while the blobs stream; the block calls what it yields before it registers.

    That call joins the thread, because a Ctrl-C that lands while the main thread waits
    on a module lock the other thread holds can leave the import system locked for good
    (a hung process), and Thread.join is safe to interrupt. On the way out of a failed
    import the thread is given PRELOAD_WAIT seconds to finish: the interpreter must not
    end while it is inside pydantic's compiled core (that aborts the process), nor wait
    forever for it (it is a daemon)."""
    if not needed:
        yield lambda: None
        return
    thread = threading.Thread(target=_load_model_parser, name="preload-model", daemon=True)
    thread.start()
    try:
        yield thread.join
    finally:
        thread.join(PRELOAD_WAIT)


def version_summary(app: AppVersion) -> dict[str, Any]:
    """One app version as a listing shows it (`market list --json`, the web console)."""
    platforms = sorted({str(p) for c in app.components for p in c.platforms})
    return {
        "name": app.name,
        "version": app.version,
        "digest": app.digest,
        "created": app.created,
        "components": len(app.components),
        "platforms": platforms,
        "size": sum(c.size for c in app.components),
        "signature": app.origin.text(),
        "origin": app.origin.to_json(),
    }


def version_details(app: AppVersion) -> dict[str, Any]:
    """The summary and every component's pinned image (`market show --json`, the console)."""
    return {
        **version_summary(app),
        "description": app.model.description,
        "components": [
            {
                "name": c.name,
                "image": c.image,
                "digest": c.descriptor.digest,
                "media_type": c.descriptor.media_type,
                "platforms": [str(p) for p in c.platforms],
                "size": c.size,
            }
            for c in app.components
        ],
    }
