"""The one door to the Docker engine (docker-py): building the client, and translating
every docker-py, requests and socket error into a one-line sealift error.

Publishing (oci/enginesource.py) and the Docker target (targets/docker/) both go through
here, so the engine is reached with one timeout and described in one wording. The
foreign exception stays the error's `__cause__` (`sealift --debug` shows it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator

import docker
import docker.errors
import requests.exceptions

from sealift.errors import EngineError, NotFoundError, SealiftError

EngineClient = docker.DockerClient

DEFAULT_TIMEOUT = 300  # seconds one engine call may take before it counts as not answering
DEFAULT_ADDRESS = "unix:///var/run/docker.sock"
log = logging.getLogger(__name__)

_PORT_IN_USE = re.compile(
    r"(?:0\.0\.0\.0|127\.0\.0\.1|\[?::\]?|[\d.]+):(\d+).*"
    r"(?:address already in use|port is already allocated)",
    re.I,
)
_PORT_ALLOCATED = re.compile(r"Bind for [^:]*:(\d+) failed: port is already allocated", re.I)


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_ADDRESS


def connect(
    client: EngineClient | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> EngineClient:
    """`client`, or one for the engine of DOCKER_HOST (or the local socket); checked to answer."""
    log.debug("connecting to the Docker engine at %s (timeout %g s)", engine_address(), timeout)
    with engine_errors():
        client = client or docker.from_env(timeout=max(1, round(timeout)))
        client.ping()
        return client


@contextlib.contextmanager
def engine_errors(what: str = "") -> Iterator[None]:
    """Turn docker-py and transport errors raised in the block into sealift errors;
    `what` names the step ("creating container shop-web-1") in the message."""
    try:
        yield
    except SealiftError:
        raise
    except docker.errors.NotFound as exc:
        raise NotFoundError(_explain(what, exc)) from exc
    except docker.errors.APIError as exc:
        raise refused(exc, what) from exc
    except (
        docker.errors.DockerException,
        requests.exceptions.RequestException,
        ConnectionError,
        TimeoutError,
    ) as exc:  # not every OSError: a full disk while an image streams in is no engine error
        raise EngineError(unreachable(exc)) from exc


def refused(exc: docker.errors.APIError, what: str = "") -> EngineError:
    """The engine answered with an error: a port already taken, or its own explanation."""
    text = str(exc.explanation or exc)
    port = _PORT_ALLOCATED.search(text) or _PORT_IN_USE.search(text)
    if port:
        return EngineError(
            f"port {port.group(1)} is already in use on this host"
            f"{' (' + what + ')' if what else ''}; stop what uses it or choose another port"
        )
    return EngineError(_explain(what, exc))


def unreachable(exc: BaseException) -> str:
    """A sentence for an engine that could not be reached, from the chain behind `exc`."""
    address = engine_address()
    reason, hint = _reason(exc)
    return f"the Docker engine is not reachable at {address} ({reason}): {hint}"


_START = "start dockerd, or point DOCKER_HOST at a running engine"


def _reason(exc: BaseException) -> tuple[str, str]:
    for cause in _chain(exc):
        if isinstance(cause, FileNotFoundError):
            return "no such socket", _START
        if isinstance(cause, PermissionError):
            return "permission denied", "start dockerd; run as root or join the docker group"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused", _START
        if isinstance(cause, (TimeoutError, requests.exceptions.Timeout)):
            return "it did not answer in time", "check that dockerd is running and not stuck"
    return _plain(exc)[:200], _START


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception behind it: causes, contexts, and exceptions carried as
    arguments (urllib3 wraps the socket's error that way), nearest first."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [a for a in current.args if isinstance(a, BaseException)]
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


def _plain(exc: BaseException) -> str:
    """A short text for an error none of `_reason`'s cases names; never a repr."""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    last = list(_chain(exc))[-1]
    text = " ".join(str(last).split())
    return text if text and not any(c in text for c in "()'\"[]") else type(last).__name__


def _explain(what: str, exc: Exception) -> str:
    detail = _short(str(getattr(exc, "explanation", None) or exc))
    return f"{what}: {detail}" if what else f"the Docker engine refused: {detail}"


def _short(text: str) -> str:
    return " ".join(text.split())[:300]
