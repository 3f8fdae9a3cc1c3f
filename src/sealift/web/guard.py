"""The door every request passes: a session for everything but the login page and the
static files, a CSRF token on every request that changes something, and headers that keep
pages from being framed or from loading anything from elsewhere.

A change carries its token in the `X-CSRF-Token` header (scripts) or in the `csrf` field
of a form; the login form, before there is a session, carries the token of its own
short-lived cookie (double submit).
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealift.web.auth import Sessions, same_token

SESSION_COOKIE = "sealift_session"
LOGIN_COOKIE = "sealift_login"
SAFE_METHODS = ("GET", "HEAD")
PUBLIC = ("/login", "/favicon.ico", "/static/", "/lang/")
FORM = "application/x-www-form-urlencoded"
MAX_FORM = 1024 * 1024
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Guard:
    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        request = Request(scope)
        session = self.sessions.find(request.cookies.get(SESSION_COOKIE))
        scope.setdefault("state", {})["session"] = session
        refused = _refuse_without_session(request) if session is None else None
        if refused is None and request.method not in SAFE_METHODS:
            expected = session.csrf if session else request.cookies.get(LOGIN_COOKIE, "")
            refused, receive = await _check_csrf(request, receive, expected)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _public(path: str) -> bool:
    return path in PUBLIC[:2] or path.startswith(PUBLIC[2:])


def _refuse_without_session(request: Request) -> Response | None:
    path = request.url.path
    if _public(path):
        return None
    if request.method in SAFE_METHODS and not path.startswith("/api/"):
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
    return PlainTextResponse("log in first", status_code=401)


async def _check_csrf(
    request: Request, receive: Receive, expected: str
) -> tuple[Response | None, Receive]:
    """A refusal (or None) and the receive channel the app reads the body from."""
    refused = PlainTextResponse("missing or wrong CSRF token; reload the page", status_code=403)
    header = request.headers.get("x-csrf-token")
    if header is not None:
        return (None if same_token(header, expected) else refused), receive
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
        return refused, receive
    body = await _read_body(receive)
    if body is None:
        return PlainTextResponse("form too large", status_code=413), receive
    token = parse_qs(body.decode("utf-8", "replace")).get("csrf", [""])[0]
    return (None if same_token(token, expected) else refused), _replay(body, receive)


async def _read_body(receive: Receive) -> bytes | None:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if len(body) > MAX_FORM:
            return None
        if not message.get("more_body", False):
            return body


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *HEADERS]
        await send(message)

    return sending


__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "Guard"]
