"""One installation: its history, upgrade (the plan first), rollback, logs and uninstall."""

from __future__ import annotations

import itertools
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sealift.deploy import operations as ops
from sealift.deploy import queries
from sealift.deploy.values import mask_text
from sealift.errors import SealiftError
from sealift.formats import semver_key
from sealift.market.catalog import Market
from sealift.web.console import Console, console_of, failure, form_of, render, see_other
from sealift.web.jobs import Job, Work

MAX_TAIL = 5000


def installation_page(request: Request) -> Response:
    console = console_of(request)
    instance = request.path_params["instance"]
    try:
        revisions = queries.history(console.context(), instance)
    except SealiftError as exc:
        return failure(request, exc.message, 404)
    current = next((r for r in reversed(revisions) if r.status == "deployed"), None)
    app = revisions[-1].app if revisions else ""
    market = Market(console.settings.home / "store")
    versions = [a.version for a in market.list() if a.name == app]
    components = sorted({d["name"] for d in (current.desired if current else [])})
    job = console.jobs.running_on(instance)
    return render(
        request,
        "installation.html",
        instance=instance,
        revisions=list(reversed(revisions)),
        current=current,
        versions=sorted(versions, key=semver_key, reverse=True),
        components=components,
        job=job.id if job else "",
    )


def upgrade_page(request: Request) -> Response:
    """The plan of an upgrade (a dry run), with the button that confirms it."""
    console = console_of(request)
    instance = request.path_params["instance"]
    version = request.query_params.get("version", "")
    try:
        out = ops.upgrade(console.context(), instance, version, dry_run=True)
    except SealiftError as exc:
        return failure(request, exc.message)
    return render(
        request, "upgrade.html", instance=instance, version=version, ref=out.ref, plan=out.plan
    )


def rollback_page(request: Request) -> Response:
    console = console_of(request)
    instance = request.path_params["instance"]
    try:
        revision = console.context().state.revision(instance, int(request.path_params["revision"]))
    except SealiftError as exc:
        return failure(request, exc.message, 404)
    return render(request, "rollback.html", instance=instance, revision=revision)


def uninstall_page(request: Request) -> Response:
    return render(request, "uninstall.html", instance=request.path_params["instance"], error="")


async def upgrade_action(request: Request) -> Response:
    instance = request.path_params["instance"]
    version = (await form_of(request)).get("version", "")

    def work(job: Job) -> None:
        out = ops.upgrade(console_of(request).context(job), instance, version)
        job.result = {"installation": instance, "revision": out.revision, "ref": out.ref}

    return _start(request, "upgrade", f"{instance} → {version}", instance, work)


async def rollback_action(request: Request) -> Response:
    instance = request.path_params["instance"]
    revision = int((await form_of(request)).get("revision", "0") or 0)

    def work(job: Job) -> None:
        out = ops.rollback(console_of(request).context(job), instance, revision or None)
        job.result = {"installation": instance, "revision": out.revision, "ref": out.ref}
        for note in out.notes:
            job.note(note)

    return _start(request, "rollback", f"{instance} → revision {revision}", instance, work)


async def uninstall_action(request: Request) -> Response:
    instance = request.path_params["instance"]
    form = await form_of(request)
    purge = form.get("purge") == "yes"
    if purge and form.get("confirm_name", "") != instance:
        message = "type the installation's name to delete its data"
        return render(request, "uninstall.html", status_code=400, instance=instance, error=message)

    def work(job: Job) -> None:
        volumes = ops.uninstall(console_of(request).context(job), instance, purge=purge)
        job.result = {"installation": instance, "volumes": volumes, "purged": purge}

    return _start(request, "uninstall", instance, instance, work)


def _start(request: Request, kind: str, subject: str, instance: str, work: Work) -> Response:
    try:
        job = console_of(request).jobs.start(kind, subject, work, instance)
    except SealiftError as exc:
        return failure(request, exc.message, 409)
    return see_other(f"/jobs/{job.id}")


# -- logs --------------------------------------------------------------------------------


def logs_page(request: Request) -> Response:
    instance = request.path_params["instance"]
    component = request.query_params.get("component", "")
    lines, error = [], ""
    try:
        lines = _log_lines(console_of(request), instance, component, _tail(request))
    except SealiftError as exc:
        error = exc.message
    return render(
        request, "logs.html", instance=instance, component=component, lines=lines, error=error
    )


async def logs_download(request: Request) -> Response:
    instance = request.path_params["instance"]
    component = request.query_params.get("component", "")
    console = console_of(request)
    try:
        lines = await run_in_threadpool(_log_lines, console, instance, component, MAX_TAIL)
    except SealiftError as exc:
        return PlainTextResponse(exc.message, status_code=404)
    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{instance}-{component}.log")
    return PlainTextResponse(
        "".join(line + "\n" for line in lines),
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def logs_json(request: Request) -> Response:
    """The last lines, for the page's live tail."""
    instance = request.path_params["instance"]
    component = request.query_params.get("component", "")
    try:
        lines = _log_lines(console_of(request), instance, component, _tail(request))
    except SealiftError as exc:
        return JSONResponse({"error": exc.message}, status_code=404)
    return JSONResponse({"lines": lines})


def _tail(request: Request) -> int:
    text = request.query_params.get("tail", "200")
    return min(int(text), MAX_TAIL) if text.isdigit() else 200


def _log_lines(console: Console, instance: str, component: str, tail: int) -> list[str]:
    """The last `tail` lines of every replica of `component`, the current revision's
    secrets masked (an app may print what it was given)."""
    ctx = console.context()
    current = ctx.state.current(instance)
    hidden = current.secret_values() if current else []
    found = queries.logs(ctx, instance, component, tail=tail)
    return [mask_text(line, hidden) for line in itertools.islice(found, MAX_TAIL * 4)]


__all__ = [
    "installation_page",
    "logs_download",
    "logs_json",
    "logs_page",
    "rollback_action",
    "rollback_page",
    "uninstall_action",
    "uninstall_page",
    "upgrade_action",
    "upgrade_page",
]
