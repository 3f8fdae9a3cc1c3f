from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sealift.errors import AuthError
from sealift.oci.auth import Credentials, find_credentials, parse_challenge


def write(path: Path, auths: dict[str, object]) -> Path:
    path.write_text(json.dumps({"auths": auths}))
    return path


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_auth_field_and_url_keys(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.json", {"https://reg.example.com:5000/v2/": {"auth": b64("u:p:q")}})
    assert find_credentials("reg.example.com:5000", cfg) == Credentials("u", "p:q")
    assert find_credentials("other.example.com", cfg) is None


def test_username_password_and_docker_hub(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.json", {"https://index.docker.io/v1/": {"username": "me", "password": "pw"}}
    )
    assert find_credentials("registry-1.docker.io", cfg) == Credentials("me", "pw")


def test_docker_config_env_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "config.json", {"r.io": {"auth": b64("a:b")}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert find_credentials("r.io") == Credentials("a", "b")
    assert find_credentials("r.io", tmp_path) == Credentials("a", "b")
    assert find_credentials("r.io", tmp_path / "missing.json") is None


def test_bad_auth_is_an_error(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.json", {"r.io": {"auth": "!!!"}})
    with pytest.raises(AuthError, match=r"docker login"):
        find_credentials("r.io", cfg)


def test_challenges() -> None:
    bearer = parse_challenge(
        'Bearer realm="https://auth.io/token",service="reg",scope="repository:a/b:pull"'
    )
    assert bearer is not None and bearer.scheme == "bearer"
    assert bearer.params == {
        "realm": "https://auth.io/token",
        "service": "reg",
        "scope": "repository:a/b:pull",
    }
    basic = parse_challenge('Basic realm="x"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge("Negotiate abc") is None
