"""Who may use the console: one admin password (kept only as a scrypt hash), sessions that
expire, a CSRF token per session, and a limit on wrong passwords.

Sessions live in the server's memory: a restart logs everybody out, which is what a site
expects from restarting its console.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sealift.errors import UsageError
from sealift.files import atomic_write

USER = "admin"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5  # wrong passwords from one address within FAILURE_WINDOW
FAILURE_WINDOW = 300.0
PASSWORD_FILE = "admin-password.hash"


@dataclass(frozen=True)
class PasswordHash:
    salt: bytes
    digest: bytes

    @classmethod
    def of(cls, password: str) -> PasswordHash:
        salt = secrets.token_bytes(16)
        return cls(salt, _kdf(password, salt))

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(_kdf(password, self.salt), self.digest)

    def to_json(self) -> str:
        b64 = base64.b64encode
        return json.dumps(
            {
                "kdf": "scrypt",
                **SCRYPT,
                "salt": b64(self.salt).decode(),
                "hash": b64(self.digest).decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PasswordHash:
        data = json.loads(text)
        return cls(base64.b64decode(data["salt"]), base64.b64decode(data["hash"]))


def _kdf(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024**2, **SCRYPT)


def admin_password(console_dir: Path, password_file: Path | None) -> tuple[PasswordHash, str]:
    """The admin password's hash, and the password itself when it was made just now (to be
    shown once). `password_file` (its first line) wins over the stored hash."""
    if password_file is not None:
        return PasswordHash.of(_read_password(password_file)), ""
    stored = console_dir / PASSWORD_FILE
    if stored.exists():
        try:
            return PasswordHash.from_json(stored.read_text()), ""
        except (ValueError, KeyError) as exc:
            raise UsageError(
                f"{stored} is damaged ({exc}); delete it to make a new admin password"
            ) from None
    password = secrets.token_urlsafe(12)
    made = PasswordHash.of(password)
    atomic_write(stored, made.to_json().encode(), mode=0o600)
    return made, password


def _read_password(path: Path) -> str:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read --password-file {path}: {exc.strerror}") from None
    password = lines[0] if lines else ""
    if len(password) < 8:
        raise UsageError(f"the password in {path} is shorter than 8 characters; use a longer one")
    return password


@dataclass
class Session:
    token: str
    csrf: str
    expires: float


@dataclass
class Sessions:
    """Logged-in sessions by cookie token, and recent wrong passwords by address."""

    password: PasswordHash
    lifetime: float = SESSION_SECONDS
    _sessions: dict[str, Session] = field(default_factory=dict)
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def login(self, client: str, user: str, password: str) -> Session | None:
        """A new session for the right user and password, None otherwise (counted)."""
        good = self.password.matches(password) and hmac.compare_digest(user, USER)
        with self._lock:
            if not good:
                self._failures.setdefault(client, []).append(time.monotonic())
                return None
            self._failures.pop(client, None)
            session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), 0.0)
            session.expires = time.time() + self.lifetime
            self._sessions[session.token] = session
            return session

    def wait_before_login(self, client: str) -> int:
        """Seconds `client` must wait before it may try a password again (0: now)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < FAILURE_WINDOW]
            self._failures[client] = recent
            if len(recent) < MAX_FAILURES:
                return 0
            return int(FAILURE_WINDOW - (now - recent[-MAX_FAILURES])) + 1

    def find(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires < time.time():
                del self._sessions[token]
                return None
            return session

    def logout(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)


__all__ = ["USER", "PasswordHash", "Session", "Sessions", "admin_password", "same_token"]
