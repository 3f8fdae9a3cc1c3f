"""The door to the Docker engine: every foreign error becomes one sentence (the real
engine is exercised by the integration tests; here the errors docker-py raises)."""

from __future__ import annotations

import errno

import docker.errors
import pytest
import requests.exceptions
import urllib3.exceptions

from sealift.errors import EngineError, NotFoundError
from sealift.oci.engine import engine_errors


def _aborted(cause: OSError) -> requests.exceptions.ConnectionError:
    """What docker-py raises for a unix socket it cannot use (the shape seen in the wild)."""
    protocol = urllib3.exceptions.ProtocolError("Connection aborted.", cause)
    return requests.exceptions.ConnectionError(protocol)


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (_aborted(FileNotFoundError(2, "No such file or directory")), "no such socket"),
        (_aborted(PermissionError(13, "Permission denied")), "permission denied"),
        (_aborted(ConnectionRefusedError(111, "Connection refused")), "connection refused"),
        (requests.exceptions.ReadTimeout("read timed out"), "it did not answer in time"),
        (docker.errors.DockerException("Error while fetching server API version"), None),
    ],
)
def test_an_unreachable_engine_is_one_sentence(
    raised: Exception, reason: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/x.sock")
    with pytest.raises(EngineError) as caught, engine_errors("listing containers"):
        raise raised
    message = caught.value.message
    assert message.startswith("the Docker engine is not reachable at unix:///run/x.sock (")
    if reason:
        assert f"({reason})" in message
    assert "Connection aborted" not in message and "Error(" not in message
    assert caught.value.__cause__ is raised


def test_a_port_in_use_names_the_port() -> None:
    text = "driver failed: Bind for 0.0.0.0:8080 failed: port is already allocated"
    expected = r"^port 8080 is already in use on this host \(starting container shop-web-1\)"
    with pytest.raises(EngineError, match=expected), engine_errors("starting container shop-web-1"):
        raise docker.errors.APIError("500 Server Error", explanation=text)


def test_not_found_is_not_found() -> None:
    expected = r"^inspecting volume v: no such volume"
    with pytest.raises(NotFoundError, match=expected), engine_errors("inspecting volume v"):
        raise docker.errors.NotFound("404", explanation="no such volume")


def test_a_full_disk_is_not_taken_for_the_engine() -> None:
    with pytest.raises(OSError) as caught, engine_errors("loading shop/web"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not isinstance(caught.value, EngineError)
