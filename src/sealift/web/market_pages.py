"""The market (app versions, their components and images; remove a version) and importing
a bundle (browser upload or the import directory) into it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from sealift.bundle.importer import ImportOptions, ImportResult, import_bundle
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
from sealift.web.uploads import Upload, append, check_upload_space, inside, offered_files, upload_of


def _market(console: Console) -> Market:
    return Market(console.settings.home / "store")


def market_page(request: Request) -> Response:
    console = console_of(request)
    signatures = console.signatures()
    versions = [
        {**version_summary(a), "signature": signatures.get(a.digest, "")}
        for a in _market(console).list()
    ]
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
        signature=console.signatures().get(app.digest, ""),
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
    """The body is the bundle itself, or the rest of it from `offset` (sent by the page's
    script), streamed to disk; the import starts when the whole file is there."""
    console = console_of(request)
    length = _number(request.headers.get("content-length"))
    if length is None:
        return JSONResponse({"error": "the upload has no Content-Length"}, status_code=411)
    upload = _upload(console, request, length)
    try:
        check_upload_space(upload, length)
        received = await append(
            upload, _number(request.query_params.get("offset")) or 0, request.stream()
        )
    except SealiftError as exc:
        return JSONResponse({"error": said(request, exc.message), "received": upload.received}, 400)
    except ClientDisconnect:  # the browser went: what arrived waits for it to go on
        return Response(status_code=400)
    if received < upload.total:
        return JSONResponse({"received": received})
    path = upload.complete()
    job = _start_import(console, path, path.name.partition("-")[2], remove_after=True)
    return JSONResponse({"job": job.id, "url": f"/jobs/{job.id}"})


def upload_state(request: Request) -> Response:
    """How much of an upload the server has, so that the browser goes on from there."""
    upload = _upload(console_of(request), request, 0)
    return JSONResponse({"received": upload.received})


def _upload(console: Console, request: Request, length: int) -> Upload:
    query = request.query_params
    offset = _number(query.get("offset")) or 0
    total = _number(query.get("total")) or offset + length
    key = query.get("key") or secrets.token_hex(8)  # no key: a fresh upload
    return upload_of(console.settings.uploads, key, query.get("name", ""), total)


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
    job = _start_import(console, path, name, remove_after=False)
    return see_other(f"/jobs/{job.id}")


def _start_import(console: Console, path: Path, label: str, remove_after: bool) -> Job:
    home = console.settings.home

    def work(job: Job) -> None:
        options = ImportOptions(staging_dir=home / "staging", trust_dir=home / "trust")
        try:
            result = import_bundle(_market(console), path, options, job)
        finally:
            if remove_after:
                path.unlink(missing_ok=True)
        console.remember_signatures({a.digest: result.signed_by for a in result.imported})
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
