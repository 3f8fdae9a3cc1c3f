"""The console's routes, and the pages that are neither market nor installation: login,
logout, the language switch and the jobs."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sealift.web import i18n
from sealift.web import install_pages as ip
from sealift.web import market_pages as mp
from sealift.web import operation_pages as op
from sealift.web.console import (
    Console,
    console_of,
    form_of,
    render,
    said,
    see_other,
    session_of,
)
from sealift.web.guard import LOGIN_COOKIE, SESSION_COOKIE, Guard

LANG_SECONDS = 365 * 86400


def login_page(request: Request) -> Response:
    return _login_form(request, "", 0, 200)


def _login_form(request: Request, error: str, wait: int, status: int) -> Response:
    """The login form, with the token of its cookie (kept when there is one: a second
    tab, or the browser's own requests, must not void the form already shown)."""
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", token):
        token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", status_code=status, login_csrf=token, error=error, wait=wait
    )
    _cookie(request, response, LOGIN_COOKIE, token, 600)
    return response


async def login_action(request: Request) -> Response:
    console = console_of(request)
    client = request.client.host if request.client else "?"
    form = await form_of(request)
    wait = console.sessions.wait_before_login(client)
    if wait:
        return _login_form(request, "too many wrong passwords; wait {seconds} s", wait, 429)
    session = await run_in_threadpool(
        console.sessions.login, client, form.get("user", ""), form.get("password", "")
    )
    if session is None:
        return _login_form(request, "wrong user name or password", 0, 401)
    response = see_other(_local(form.get("next", "")))
    _cookie(request, response, SESSION_COOKIE, session.token, int(console.sessions.lifetime))
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _local(url: str) -> str:
    """Only a path of this console (never another site) to go to after login."""
    parts = urlsplit(url)
    ok = url.startswith("/") and not url.startswith("//") and not parts.netloc
    return url if ok and "\\" not in url else "/installations"


def _cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        httponly=True,
        samesite="strict",
        secure=console_of(request).settings.secure_cookies,
    )


async def logout_action(request: Request) -> Response:
    session = session_of(request)
    if session is not None:
        console_of(request).sessions.logout(session.token)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def language(request: Request) -> Response:
    lang = request.path_params["lang"]
    response = see_other(_local(request.query_params.get("next", "/installations")))
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=LANG_SECONDS, samesite="strict")
    return response


def favicon(request: Request) -> Response:
    return Response(status_code=204)


def jobs_page(request: Request) -> Response:
    jobs = list(reversed(console_of(request).jobs.all()))
    return render(request, "jobs.html", jobs=jobs)


def job_page(request: Request) -> Response:
    job = console_of(request).jobs.get(request.path_params["job"])
    if job is None:
        return render(request, "error.html", status_code=404, message="no such job")
    return render(request, "job.html", job=job)


def job_json(request: Request) -> Response:
    job = console_of(request).jobs.get(request.path_params["job"])
    if job is None:
        return JSONResponse({"error": said(request, "no such job")}, status_code=404)
    state = job.to_json()
    state["lines"] = [said(request, line) for line in state["lines"]]
    state["label"], state["error"] = said(request, state["label"]), said(request, state["error"])
    return JSONResponse(state)


ROUTES = [
    Route("/", ip.root_page),
    Route("/login", login_page),
    Route("/login", login_action, methods=["POST"]),
    Route("/logout", logout_action, methods=["POST"]),
    Route("/lang/{lang}", language),
    Route("/favicon.ico", favicon),
    Route("/market", mp.market_page),
    Route("/market/{name}/{version}", mp.version_page),
    Route("/market/{name}/{version}/remove", mp.remove_version_action, methods=["POST"]),
    Route("/import", mp.import_page),
    Route("/import/upload", mp.upload_action, methods=["POST"]),
    Route("/api/uploads", mp.upload_state),
    Route("/import/pick", mp.pick_action, methods=["POST"]),
    Route("/install/{name}/{version}", ip.install_page),
    Route("/install/{name}/{version}", ip.install_action, methods=["POST"]),
    Route("/installations", ip.installations_page),
    Route("/installations/{instance}", op.installation_page),
    Route("/installations/{instance}/upgrade", op.upgrade_page),
    Route("/installations/{instance}/upgrade", op.upgrade_action, methods=["POST"]),
    Route("/installations/{instance}/rollback/{revision:int}", op.rollback_page),
    Route("/installations/{instance}/rollback", op.rollback_action, methods=["POST"]),
    Route("/installations/{instance}/uninstall", op.uninstall_page),
    Route("/installations/{instance}/uninstall", op.uninstall_action, methods=["POST"]),
    Route("/installations/{instance}/logs", op.logs_page),
    Route("/installations/{instance}/logs.txt", op.logs_download),
    Route("/api/installations/{instance}/logs", op.logs_json),
    Route("/jobs", jobs_page),
    Route("/jobs/{job}", job_page),
    Route("/api/jobs/{job}", job_json),
    Mount("/static", StaticFiles(packages=[("sealift.web", "static")]), name="static"),
]


def make_app(console: Console) -> Guard:
    app = Starlette(routes=ROUTES)
    app.state.console = console
    return Guard(app, console.sessions)


__all__ = ["ROUTES", "make_app"]
