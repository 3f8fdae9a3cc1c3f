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


# -- credential helpers: real programs on PATH speaking docker's protocol ---------------


def helper(bin_dir: Path, name: str, body: str) -> None:
    """A `docker-credential-NAME` script; it records the server it was asked about."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(
        f'#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\necho "$server" > {bin_dir}/asked\n'
        + body
    )
    script.chmod(0o755)


def with_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_cred_helper_per_registry_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    helper(bin_dir, "vault", 'echo \'{"ServerURL":"x","Username":"robot","Secret":"t0k"}\'\n')
    with_path(monkeypatch, bin_dir)
    cfg = tmp_path / "c.json"
    cfg.write_text(
        json.dumps(
            {
                "auths": {"reg.example.com:5000": {"auth": b64("file:pw")}},
                "credHelpers": {"reg.example.com:5000": "vault"},
            }
        )
    )
    assert find_credentials("reg.example.com:5000", cfg) == Credentials("robot", "t0k")
    assert (bin_dir / "asked").read_text() == "reg.example.com:5000\n"
    assert find_credentials("other.example.com", cfg) is None  # no helper, no auths entry


def test_creds_store_for_docker_hub_and_fallback_when_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    helper(
        bin_dir,
        "pass",
        'case "$server" in https://index.docker.io/v1/) '
        'echo \'{"Username":"hubuser","Secret":"hubpw"}\';;\n'
        '*) echo "credentials not found in native keychain"; exit 1;; esac\n',
    )
    with_path(monkeypatch, bin_dir)
    cfg = tmp_path / "c.json"
    cfg.write_text(
        json.dumps({"credsStore": "pass", "auths": {"reg.example.com": {"auth": b64("u:p")}}})
    )
    assert find_credentials("registry-1.docker.io", cfg) == Credentials("hubuser", "hubpw")
    assert find_credentials("reg.example.com", cfg) == Credentials("u", "p")
    assert find_credentials("nothing.example.com", cfg) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, r"docker-credential-gone for reg\.example\.com, but it is not on PATH"),
        ('echo "keyring locked" >&2; exit 1\n', r"docker-credential-h failed .*: keyring locked"),
        ("echo not-json\n", r"gave no Username and Secret"),
        ('echo \'{"Username":"<token>","Secret":"rt"}\'\n', r"identity token"),
    ],
)
def test_cred_helper_failures_are_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str | None, message: str
) -> None:
    bin_dir = tmp_path / "bin"
    name = "gone" if body is None else "h"
    if body is not None:
        helper(bin_dir, name, body)
    with_path(monkeypatch, bin_dir)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"credHelpers": {"reg.example.com": name}}))
    with pytest.raises(AuthError, match=message):
        find_credentials("reg.example.com", cfg)
