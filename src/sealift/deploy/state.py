"""Installations and their numbered revisions in `$SEALIFT_HOME/state.db` (SQLite, mode 0600).

A revision records the app version and digest, the parameter values (secrets too: the file
is readable only by its owner), the rendered desired state of every component, its status
and timestamps. A revision in status `pending` belongs to an operation in progress; if its
process died, the next command settles it (see `recovery.py`).

Generated secret values are also kept per installation name, apart from the revisions:
they protect data in volumes that outlive an uninstall (without --purge) or a failed first
install, so a reinstall reuses them until `uninstall --purge` forgets them.

The file carries its schema version in `PRAGMA user_version`: 0 is the first release's
layout (no version set), migrated in place when opened; a newer file is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sealift.errors import NotFoundError, StoreError
from sealift.formats import MASK, utc_timestamp

Status = Literal["pending", "deployed", "superseded", "failed"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS installations (
    name TEXT PRIMARY KEY,
    app TEXT NOT NULL,
    target TEXT NOT NULL,
    settings TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revisions (
    installation TEXT NOT NULL REFERENCES installations(name) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    operation TEXT NOT NULL,
    app TEXT NOT NULL,
    version TEXT NOT NULL,
    digest TEXT NOT NULL,
    parameters TEXT NOT NULL,
    secrets TEXT NOT NULL DEFAULT '[]',
    desired TEXT NOT NULL,
    status TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    message TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (installation, number)
);
"""
KEPT_VALUES = """
CREATE TABLE IF NOT EXISTS kept_values (
    installation TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (installation, name)
);
"""
SCHEMA_VERSION = 1
MIGRATIONS = {0: KEPT_VALUES}  # from version N to N + 1 (0: the first release, 16a3850)


@dataclass(frozen=True)
class Installation:
    name: str
    app: str
    target: str
    settings: dict[str, Any]
    created: str


@dataclass(frozen=True)
class Revision:
    installation: str
    number: int
    operation: str  # install, upgrade, rollback, restore
    app: str
    version: str
    digest: str
    parameters: dict[str, str]
    secrets: list[str]
    desired: list[dict[str, Any]]
    status: str
    started: str
    finished: str | None = None
    message: str = ""
    pid: int = 0

    @property
    def ref(self) -> str:
        return f"{self.app}:{self.version}"

    def masked_parameters(self) -> dict[str, str]:
        """Parameter values with every secret shown as ***."""
        return {k: MASK if k in self.secrets else v for k, v in self.parameters.items()}

    def secret_values(self) -> list[str]:
        """The values to mask in any text about this revision (values.mask_text)."""
        return [v for k, v in self.parameters.items() if k in self.secrets]


class StateDB:
    """The state file. Every method is one short transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        with self._db() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version != SCHEMA_VERSION:
                self._migrate(db, version)

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the state file {self.path} was written by a newer sealift (schema "
                f"{version}; this one knows {SCHEMA_VERSION}); use that release or a newer one"
            )
        steps = "".join(MIGRATIONS[step] for step in range(version, SCHEMA_VERSION))
        db.executescript(
            f"BEGIN IMMEDIATE; {SCHEMA} {steps} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as conn:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                with conn:
                    yield conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the state file {self.path} is unusable: {exc}") from exc

    # -- installations --------------------------------------------------------------

    def add_installation(
        self, name: str, app: str, target: str, settings: dict[str, Any]
    ) -> Installation:
        inst = Installation(name, app, target, settings, utc_timestamp())
        with self._db() as db:
            db.execute(
                "INSERT INTO installations VALUES (?, ?, ?, ?, ?)",
                (name, app, target, json.dumps(settings), inst.created),
            )
        return inst

    def find_installation(self, name: str) -> Installation | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM installations WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return Installation(
            row["name"], row["app"], row["target"], json.loads(row["settings"]), row["created"]
        )

    def installation(self, name: str) -> Installation:
        found = self.find_installation(name)
        if found is None:
            raise NotFoundError(f"no installation named {name!r}; `sealift status` lists them")
        return found

    def installations(self) -> list[Installation]:
        with self._db() as db:
            names = [r["name"] for r in db.execute("SELECT name FROM installations ORDER BY name")]
        return [self.installation(n) for n in names]

    def delete_installation(self, name: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM revisions WHERE installation = ?", (name,))
            db.execute("DELETE FROM installations WHERE name = ?", (name,))

    # -- generated values kept with the data --------------------------------------------

    def keep_values(self, installation: str, values: dict[str, str]) -> None:
        """Remember generated values for `installation` (kept until `forget_values`)."""
        with self._db() as db:
            db.executemany(
                "INSERT OR REPLACE INTO kept_values VALUES (?, ?, ?)",
                [(installation, k, v) for k, v in values.items()],
            )

    def kept_values(self, installation: str) -> dict[str, str]:
        with self._db() as db:
            rows = db.execute(
                "SELECT name, value FROM kept_values WHERE installation = ?", (installation,)
            ).fetchall()
        return {r["name"]: r["value"] for r in rows}

    def forget_values(self, installation: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM kept_values WHERE installation = ?", (installation,))

    # -- revisions ------------------------------------------------------------------

    def begin_revision(
        self,
        installation: str,
        operation: str,
        app: str,
        version: str,
        digest: str,
        parameters: dict[str, str],
        secrets: list[str],
        desired: list[dict[str, Any]],
    ) -> Revision:
        with self._db() as db:
            row = db.execute(
                "SELECT MAX(number) FROM revisions WHERE installation = ?", (installation,)
            ).fetchone()
            number = (row[0] or 0) + 1
            db.execute(
                "INSERT INTO revisions (installation, number, operation, app, version, digest,"
                " parameters, secrets, desired, status, started, pid)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    installation,
                    number,
                    operation,
                    app,
                    version,
                    digest,
                    json.dumps(parameters),
                    json.dumps(sorted(secrets)),
                    json.dumps(desired),
                    "pending",
                    utc_timestamp(),
                    os.getpid(),
                ),
            )
        return self.revision(installation, number)

    def finish_revision(
        self, installation: str, number: int, status: Status, message: str = ""
    ) -> None:
        with self._db() as db:
            if status == "deployed":
                db.execute(
                    "UPDATE revisions SET status = 'superseded' WHERE installation = ?"
                    " AND status = 'deployed' AND number != ?",
                    (installation, number),
                )
            db.execute(
                "UPDATE revisions SET status = ?, finished = ?, message = ? "
                "WHERE installation = ? AND number = ?",
                (status, utc_timestamp(), message, installation, number),
            )

    def mark(self, installation: str, number: int, status: Status, message: str) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE revisions SET status = ?, message = ? WHERE installation = ? "
                "AND number = ?",
                (status, message, installation, number),
            )

    def revisions(self, installation: str) -> list[Revision]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM revisions WHERE installation = ? ORDER BY number", (installation,)
            ).fetchall()
        return [_revision(r) for r in rows]

    def revision(self, installation: str, number: int) -> Revision:
        for rev in self.revisions(installation):
            if rev.number == number:
                return rev
        raise NotFoundError(
            f"{installation} has no revision {number}; `sealift history {installation}` lists them"
        )

    def current(self, installation: str) -> Revision | None:
        """The revision now deployed (None if none is)."""
        deployed = [r for r in self.revisions(installation) if r.status == "deployed"]
        return deployed[-1] if deployed else None


def _revision(row: sqlite3.Row) -> Revision:
    return Revision(
        installation=row["installation"],
        number=row["number"],
        operation=row["operation"],
        app=row["app"],
        version=row["version"],
        digest=row["digest"],
        parameters=json.loads(row["parameters"]),
        secrets=json.loads(row["secrets"]),
        desired=json.loads(row["desired"]),
        status=row["status"],
        started=row["started"],
        finished=row["finished"],
        message=row["message"],
        pid=row["pid"],
    )
