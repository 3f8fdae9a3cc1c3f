"""The install form (generated from the app's parameters) and the installations dashboard."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealift.deploy import operations as ops
from sealift.deploy import queries
from sealift.errors import SealiftError
from sealift.market.catalog import AppVersion, Market, version_summary
from sealift.model import params
from sealift.model.app import Component
from sealift.targets.base import ComponentStatus
from sealift.targets.factory import DRIVERS
from sealift.web.console import Console, console_of, failure, form_of, render, see_other
from sealift.web.jobs import Job

TARGETS = tuple(sorted(DRIVERS))  # the same choice as `sealift install --target`


def _find(console: Console, request: Request) -> AppVersion:
    ref = f"{request.path_params['name']}:{request.path_params['version']}"
    return Market(console.settings.home / "store").find(ref)


def install_page(request: Request) -> Response:
    try:
        app = _find(console_of(request), request)
    except SealiftError as exc:
        return failure(request, exc.message, 404)
    return _form(request, app, {"name": app.name}, {})


def _form(
    request: Request, app: AppVersion, values: dict[str, str], errors: dict[str, str]
) -> Response:
    return render(
        request,
        "install.html",
        status_code=400 if errors else 200,
        app=version_summary(app),
        parameters=app.model.parameters,
        targets=TARGETS,
        values=values,
        errors=errors,
    )


async def install_action(request: Request) -> Response:
    console = console_of(request)
    try:
        app = await run_in_threadpool(_find, console, request)
    except SealiftError as exc:
        return failure(request, exc.message, 404)
    form = await form_of(request)
    given, errors = _check_form(console, app, form)
    if errors:
        form = {k: v for k, v in form.items() if not _is_secret(app, k)}
        return _form(request, app, form, errors)
    instance = form["name"]
    secrets = params.secret_texts(app.model, given)

    def work(job: Job) -> None:
        job.hide(secrets)
        out = ops.install(
            console.context(job, target=form.get("target") or "docker"),
            app.ref,
            name=instance,
            given=given,
            platform=form.get("platform") or None,
            bind_address=form.get("bind_address") or None,
        )
        job.result = {"installation": instance, "revision": out.revision, "ref": out.ref}

    try:
        job = console.jobs.start("install", f"{app.ref} → {instance}", work, instance)
    except SealiftError as exc:
        return failure(request, exc.message, 409)
    return see_other(f"/jobs/{job.id}")


def _is_secret(app: AppVersion, field: str) -> bool:
    parameter = app.model.parameters.get(field.removeprefix("p."))
    return field.startswith("p.") and parameter is not None and parameter.secret


def _check_form(
    console: Console, app: AppVersion, form: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The parameter values given (empty fields left out: their default or generated value
    is used) and the problems, by field."""
    given: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, parameter in app.model.parameters.items():
        raw = form.get(f"p.{name}", "")
        if raw == "":
            if parameter.required:
                errors[f"p.{name}"] = "required"
            continue
        try:
            given[name] = params.normalize(parameter, raw, "the value")
        except ValueError as exc:
            errors[f"p.{name}"] = str(exc)
    errors.update(_check_settings(console, form))
    return given, errors


def _check_settings(console: Console, form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = form.get("name", "")
    for field, check in (
        ("name", lambda: ops.check_instance_name(name)),
        ("bind_address", lambda: ops.check_bind_address(form.get("bind_address") or None)),
    ):
        try:
            check()
        except SealiftError as exc:
            errors[field] = exc.message
    state = console.context().state
    if "name" not in errors and state.find_installation(name) and state.current(name):
        errors["name"] = f"{name} is already installed; choose another name or upgrade it"
    if form.get("target", "docker") not in TARGETS:
        errors["target"] = "unknown target"
    return errors


# -- the dashboard ---------------------------------------------------------------------


def installations_page(request: Request) -> Response:
    console = console_of(request)
    host = request.url.hostname or "127.0.0.1"
    rows = [_row(console, s, age, host) for s, age in console.watch.statuses()]
    return render(request, "installations.html", installations=rows)


def _row(
    console: Console, inst: queries.InstallationStatus, age: float, host: str
) -> dict[str, Any]:
    http = console.http_ports(inst.app, inst.version, _http_ports_of)
    job = console.jobs.running_on(inst.name)
    return {
        "name": inst.name,
        "ref": f"{inst.app}:{inst.version}",
        "revision": inst.revision,
        "status": inst.status,
        "age": round(age),
        "job": job.id if job else "",
        "components": [_component(c, http.get(c.component, set()), host) for c in inst.components],
    }


def _http_ports_of(app: AppVersion) -> dict[str, set[int]]:
    return {name: _http_ports(c) for name, c in app.model.components.items()}


def _component(status: ComponentStatus, http: set[int], host: str) -> dict[str, Any]:
    name = status.component if status.replica == 1 else f"{status.component}[{status.replica}]"
    return {
        "name": name,
        "state": status.state,
        "health": status.health,
        "restarts": status.restarts,
        "ports": [_port(p, http, host) for p in status.ports],
    }


def _http_ports(component: Component) -> set[int]:
    ports = {p.port for p in component.ports if (p.name or "").startswith("http")}
    if component.health and component.health.http:
        ports.add(component.health.http.port)
    return ports


def _port(text: str, http: set[int], host: str) -> dict[str, str]:
    """`0.0.0.0:8080->8080/tcp` with a link when the container port speaks HTTP."""
    published, _, inner = text.partition("->")
    address, _, port = published.rpartition(":")
    container = inner.split("/")[0]
    if not (container.isdigit() and int(container) in http and port.isdigit()):
        return {"text": text, "url": ""}
    where = host if address in ("0.0.0.0", "::", "") else address
    where = f"[{where}]" if ":" in where else where
    return {"text": text, "url": f"http://{where}:{port}/"}


def root_page(request: Request) -> Response:
    return see_other("/installations")


__all__ = ["install_action", "install_page", "installations_page", "root_page"]
