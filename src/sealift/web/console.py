"""What every page of the console is given: the settings it started with, the sessions,
the job board, the templates, and the helpers that read a form and render a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from sealift.deploy.context import Context, site_context
from sealift.errors import SealiftError
from sealift.market.catalog import AppVersion, Market
from sealift.progress import NO_PROGRESS, Progress
from sealift.space import human_size
from sealift.web import i18n
from sealift.web.auth import Session, Sessions
from sealift.web.jobs import JobBoard
from sealift.web.watch import StatusWatch


@dataclass(frozen=True)
class Settings:
    home: Path
    import_dir: Path | None = None
    secure_cookies: bool = False  # served over TLS
    timeout: float = 300.0

    @property
    def console_dir(self) -> Path:
        return self.home / "console"


@dataclass
class Console:
    settings: Settings
    sessions: Sessions
    jobs: JobBoard = field(init=False)
    watch: StatusWatch = field(init=False)
    templates: jinja2.Environment = field(init=False)
    _by_version: dict[str, Any] = field(default_factory=dict)
    upload_jobs: dict[str, str] = field(default_factory=dict)  # an upload's key: its import job

    def __post_init__(self) -> None:
        self.watch = StatusWatch(lambda: self.context(bounded=False))
        self.jobs = JobBoard(self.settings.home, lambda job: self.watch.forget(job.instance))
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("sealift.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["size"] = human_size

    def context(
        self, progress: Progress = NO_PROGRESS, bounded: bool = True, target: str = "docker"
    ) -> Context:
        home, timeout = self.settings.home, self.settings.timeout
        return site_context(home, progress, timeout, target, bounded)

    def http_ports(
        self, app: str, version: str, read: Callable[[AppVersion], dict[str, set[int]]]
    ) -> dict[str, set[int]]:
        """`read(app version)`, kept per version (a version's content never changes while
        it has an installation: `market remove` is refused then). {} for a version that
        is not in the market."""
        ref = f"{app}:{version}"
        if ref not in self._by_version:
            try:
                found = Market(self.settings.home / "store").get(app, version)
            except SealiftError:
                return {}
            self._by_version[ref] = read(found)
        ports: dict[str, set[int]] = self._by_version[ref]
        return ports


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def session_of(request: Request) -> Session | None:
    session: Session | None = request.scope.get("state", {}).get("session")
    return session


def lang_of(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def said(request: Request, text: str) -> str:
    """A message of the library (or of the console) in the request's language."""
    return i18n.translator(lang_of(request))(text)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    lang = lang_of(request)
    session = session_of(request)
    page = console_of(request).templates.get_template(template)
    html = page.render(
        t=i18n.translator(lang),
        lang=lang,
        languages=i18n.LANGUAGES,
        csrf=session.csrf if session else values.pop("login_csrf", ""),
        logged_in=session is not None,
        path=request.url.path,
        **values,
    )
    return HTMLResponse(html, status_code=status_code)


def failure(request: Request, message: str, status_code: int = 400) -> HTMLResponse:
    """A page that says what went wrong (one line, in the words of the library's error)."""
    return render(request, "error.html", status_code=status_code, message=message)


async def form_of(request: Request) -> dict[str, str]:
    """The fields of an urlencoded form (already size-checked by the guard); the last
    value of a field given twice."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


__all__ = [
    "Console",
    "Settings",
    "console_of",
    "failure",
    "form_of",
    "lang_of",
    "render",
    "said",
    "see_other",
    "session_of",
]
