"""The one door to the Docker engine: connecting, and translating its errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import docker
import docker.errors
import requests.exceptions

from sealift.errors import DeployError, EngineError, NotFoundError, SealiftError

UNREACHABLE = (
    "the Docker engine is not reachable ({detail}); start it (dockerd) or point "
    "DOCKER_HOST at a running engine"
)

_PORT_IN_USE = re.compile(
    r"(?:0\.0\.0\.0|127\.0\.0\.1|\[?::\]?|[\d.]+):(\d+).*"
    r"(?:address already in use|port is already allocated)",
    re.I,
)
_PORT_ALLOCATED = re.compile(r"Bind for [^:]*:(\d+) failed: port is already allocated", re.I)


def connect(timeout: int = 120) -> docker.DockerClient:
    """A client for the engine of DOCKER_HOST (or the local socket), checked to answer."""
    with engine_errors():
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client


@contextlib.contextmanager
def engine_errors(what: str = "") -> Iterator[None]:
    """Turn docker-py and transport errors into one-line sealift errors."""
    try:
        yield
    except SealiftError:
        raise
    except docker.errors.NotFound as exc:
        raise NotFoundError(_explain(what, exc)) from exc
    except docker.errors.APIError as exc:
        raise translate_api_error(exc, what) from exc
    except docker.errors.DockerException as exc:
        raise EngineError(UNREACHABLE.format(detail=_short(str(exc)))) from exc
    except (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError) as exc:
        raise EngineError(UNREACHABLE.format(detail=_short(str(exc)))) from exc


def translate_api_error(exc: docker.errors.APIError, what: str = "") -> SealiftError:
    text = str(exc.explanation or exc)
    port = _PORT_ALLOCATED.search(text) or _PORT_IN_USE.search(text)
    if port:
        return DeployError(
            f"port {port.group(1)} is already in use on this host"
            f"{' (' + what + ')' if what else ''}; stop what uses it or install "
            "with another port (--set)"
        )
    return DeployError(_explain(what, exc))


def _explain(what: str, exc: Exception) -> str:
    detail = _short(str(getattr(exc, "explanation", None) or exc))
    return f"{what}: {detail}" if what else f"the Docker engine refused: {detail}"


def _short(text: str) -> str:
    return " ".join(text.split())[:300]
