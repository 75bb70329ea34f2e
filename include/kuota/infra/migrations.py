"""Versioned migrations of the warehouse: the numbered files of ``include/sql/migrations/``,
each applied once, in order, and recorded in ``kuota.schema_version`` with its sha256.

The DAG's ``prepare_warehouse`` task, the CLI (``kuota migrate``), the bench and the tests
all call :func:`migrate`, so a warehouse is never shaped two ways. A change to the schema is
a new numbered file: an applied file that changed afterwards is refused, because the
warehouses that already ran it would never see the change. Warehouses made before the
version table existed migrate like an empty one: files 0001 to 0006 were written to be
re-applied (``IF NOT EXISTS``, guarded ``ALTER``s), which is how the schema used to be kept.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .. import SQL_DIR
from . import db
from .errors import MigrationError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Two migrators at once (the DAG and a CLI, two workers) apply each file once, one after the other.
_LOCK = 4242000

_VERSION_TABLE = """
CREATE SCHEMA IF NOT EXISTS kuota;
CREATE TABLE IF NOT EXISTS kuota.schema_version (
    version    int PRIMARY KEY CHECK (version > 0),
    name       text NOT NULL,
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL
);
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in order; their numbers run 1, 2, 3 … without a gap or a twin."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: a migration file is named NNNN_name.sql (lower case, digits, _)")
        found.append(Migration(int(match[1]), match[2], path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.path}: migration numbers run 1, 2, 3 … without a gap or a twin; "
                f"expected {expected:04d} here"
            )
    return found


def applied(dsn: str) -> dict[int, dict]:
    """version -> its row in kuota.schema_version (empty before the first migration)."""
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('kuota.schema_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return {}
        cur.execute("SELECT version, name, sha256, applied_at, applied_by FROM kuota.schema_version ORDER BY version")
        keys = [c.name for c in cur.description]
        return {row[0]: dict(zip(keys, row, strict=True)) for row in cur.fetchall()}


def _check(done: dict[int, dict], files: list[Migration]) -> None:
    known = {m.version: m for m in files}
    newer = sorted(v for v in done if v not in known)
    if newer:
        raise MigrationError(
            f"the warehouse is at migration {max(done):04d}, newer than this code knows "
            f"({len(files):04d}): run the code that applied {', '.join(f'{v:04d}' for v in newer)}"
        )
    for version, row in done.items():
        migration = known[version]
        if row["sha256"] != migration.sha256:
            raise MigrationError(
                f"{migration.path}: changed after it was applied to this warehouse on "
                f"{row['applied_at']:%Y-%m-%d %H:%M %Z} (sha256 {row['sha256'][:12]}…, the file now "
                f"{migration.sha256[:12]}…). An applied migration is never edited: restore it "
                f"and put the change in a new file, {len(files) + 1:04d}_<what>.sql"
            )


def migrate(dsn: str, applied_by: str = "kuota") -> list[int]:
    """Apply the files not yet applied, each in its own transaction with its version row;
    returns the versions applied now (empty when the warehouse was up to date)."""
    files = available()
    now_applied = []
    for migration in files:
        with db.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            cur.execute(_VERSION_TABLE)
            cur.execute("SELECT version, name, sha256, applied_at, applied_by FROM kuota.schema_version")
            keys = [c.name for c in cur.description]
            done = {row[0]: dict(zip(keys, row, strict=True)) for row in cur.fetchall()}
            _check(done, files)
            if migration.version in done:
                continue
            log.info("warehouse: applying migration %s", migration.path.name)
            cur.execute(migration.text)
            cur.execute(
                "INSERT INTO kuota.schema_version (version, name, sha256, applied_by) VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, migration.sha256, applied_by),
            )
            now_applied.append(migration.version)
    if now_applied:
        log.info("warehouse: migrations %s applied; now at %04d", now_applied, files[-1].version)
    else:
        log.info("warehouse: up to date at migration %04d", files[-1].version if files else 0)
    return now_applied
