"""The market (app versions, their components and images; remove a version) and importing
a bundle (browser upload or the import directory) into it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sealift.bundle.importer import ImportOptions, ImportResult, import_bundle, import_stream
from sealift.deploy.removal import installations_needing, remove_version
from sealift.errors import SealiftError
from sealift.market.catalog import Market, version_details, version_summary
from sealift.web.console import (
    Console,
    console_of,
    failure,
    form_of,
    render,
    said,
    see_other,
)
from sealift.web.jobs import Job
from sealift.web.uploads import (
    BodyPipe,
    ImportStopped,
    check_upload_space,
    inside,
    offered_files,
)

KEEP_UPLOADS = 100  # uploads whose job the console can still name


def _market(console: Console) -> Market:
    return Market(console.settings.home / "store")


def market_page(request: Request) -> Response:
    versions = [version_summary(a) for a in _market(console_of(request)).list()]
    return render(request, "market.html", versions=versions)


def version_page(request: Request) -> Response:
    console = console_of(request)
    ref = f"{request.path_params['name']}:{request.path_params['version']}"
    try:
        app = _market(console).find(ref)
    except SealiftError as exc:
        return failure(request, exc.message, 404)
    return render(
        request,
        "version.html",
        app=version_details(app),
        parameters=app.model.parameters,
        needed_by=installations_needing(console.settings.home, ref),
    )


async def remove_version_action(request: Request) -> Response:
    console = console_of(request)
    ref = f"{request.path_params['name']}:{request.path_params['version']}"

    def work(job: Job) -> None:
        removed = remove_version(
            console.settings.home,
            ref,
            lambda: job.note("waiting for other operations that use the store to finish"),
        )
        job.result = {"removed": ref, "blobs": removed.blobs, "bytes": removed.bytes}

    job = console.jobs.start("remove", ref, work)
    return see_other(f"/jobs/{job.id}")


# -- import ------------------------------------------------------------------------------


def import_page(request: Request) -> Response:
    console = console_of(request)
    root = console.settings.import_dir
    files = offered_files(root) if root is not None else []
    return render(request, "import.html", import_dir=root, files=files)


async def upload_action(request: Request) -> Response:
    """The body is the bundle itself, imported as it arrives (`import_stream`): its job
    starts with the first byte and the answer names it. When the browser goes away
    midway, the blobs verified so far stay in staging for its next try."""
    console = console_of(request)
    length = _number(request.headers.get("content-length"))
    if length is None:
        return JSONResponse({"error": "the upload has no Content-Length"}, status_code=411)
    try:
        check_upload_space(console.settings.home, length)
    except SealiftError as exc:
        return JSONResponse({"error": said(request, exc.message)}, 400)
    pipe = BodyPipe(asyncio.get_running_loop())
    name = Path(request.query_params.get("name", "")).name or "bundle.tar"
    job = _start_import(console, name, partial(_import_upload, pipe, name, length), pipe.stop)
    _remember_upload(console, request.query_params.get("key", ""), job.id)
    try:
        await pipe.feed(request.stream())
    except ClientDisconnect:
        pipe.break_off()
        return Response(status_code=400)
    except ImportStopped:
        pass  # the import failed early; its job says why (console.js looks when the answer is lost)
    return JSONResponse({"job": job.id, "url": f"/jobs/{job.id}"})


def _remember_upload(console: Console, key: str, job: str) -> None:
    """Which job an upload started, for the page that lost the answer (the last ones)."""
    if key:
        console.upload_jobs[key] = job
        for old in list(console.upload_jobs)[:-KEEP_UPLOADS]:
            del console.upload_jobs[old]


def _import_upload(
    pipe: BodyPipe, name: str, size: int, market: Market, options: ImportOptions, job: Job
) -> ImportResult:
    return import_stream(market, pipe, name, size, options, job)


def upload_state(request: Request) -> Response:
    """The import job the upload with this key started, if any: a browser that lost the
    upload's answer (the console stops reading a body whose import failed) finds it here."""
    key = request.query_params.get("key", "")
    return JSONResponse({"job": console_of(request).upload_jobs.get(key) if key else None})


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


async def pick_action(request: Request) -> Response:
    console = console_of(request)
    root = console.settings.import_dir
    if root is None:
        return failure(request, "no import directory was given at start-up (--import-dir)")
    name = (await form_of(request)).get("file", "")
    try:
        path = await run_in_threadpool(inside, root, name)
    except SealiftError as exc:
        return failure(request, exc.message)
    job = _start_import(console, name, partial(_import_file, path))
    return see_other(f"/jobs/{job.id}")


ImportRun = Callable[[Market, ImportOptions, Job], ImportResult]


def _import_file(path: Path, market: Market, options: ImportOptions, job: Job) -> ImportResult:
    return import_bundle(market, path, options, job)


def _start_import(
    console: Console, label: str, run: ImportRun, after: Callable[[], None] | None = None
) -> Job:
    """`run` the import in a job; `after()` follows it whatever happened."""
    home = console.settings.home

    def work(job: Job) -> None:
        options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
        try:
            result = run(_market(console), options, job)
        finally:
            if after is not None:
                after()
        job.result = _import_result(result)

    return console.jobs.start("import", label, work)


def _import_result(result: ImportResult) -> dict[str, Any]:
    return {
        "imported": [version_summary(a) for a in result.imported],
        "present": result.present,
        "written": result.written,
        "reused": result.reused,
        "bytes": result.bytes_written,
        "signed_by": result.signed_by,
        "origin": result.origin.to_json(),
    }


__all__ = [
    "import_page",
    "market_page",
    "pick_action",
    "remove_version_action",
    "upload_action",
    "upload_state",
    "version_page",
]
