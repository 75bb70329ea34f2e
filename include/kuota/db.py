"""Warehouse access: psycopg2 connections and the SQL files of include/sql/."""
from __future__ import annotations

import contextlib
import logging
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg2

from . import SQL_DIR

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """The text of ``include/sql/<name>.sql``: one file per step."""
    return (SQL_DIR / f"{name}.sql").read_text()


def libpq_dsn(dsn: str) -> str:
    """A libpq URI from an Airflow or SQLAlchemy one (``postgresql+psycopg://`` and alike)."""
    scheme, sep, rest = dsn.partition("://")
    if sep and scheme.split("+")[0] in ("postgresql", "postgres"):
        return "postgresql://" + rest
    return dsn


@contextlib.contextmanager
def connect(dsn: str):
    """A connection that commits on success and rolls back on error."""
    conn = psycopg2.connect(libpq_dsn(dsn), application_name="kuota")
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def run(conn, name: str, params: dict | None = None):
    """Run a step's SQL file (several statements); return the last statement's rows."""
    with conn.cursor() as cur:
        cur.execute(sql(name), params)  # None: the file is sent as is (no %-escaping)
        return cur.fetchall() if cur.description else []


def copy_out(conn, name: str, params: dict, out, header: bool = False) -> None:
    """Stream a step's SELECT (one statement) out as CSV through COPY: rows never become
    Python tuples."""
    with conn.cursor() as cur:
        statement = cur.mogrify(sql(name), params).decode().rstrip().rstrip(";")
        cur.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER {str(header).lower()})",
                        out, size=1 << 20)


# The warehouse's migration files, in order (idempotent; prepare_warehouse runs the same list).
MIGRATIONS = ("schema", "schema_screening", "schema_exchange", "schema_sptjm", "schema_injeksi")


def migrate(dsn: str) -> None:
    with connect(dsn) as conn:
        for name in MIGRATIONS:
            run(conn, name)


def sqlalchemy_url(dsn: str, settings: dict | None = None) -> str:
    """The DSN as SQLAlchemy wants it (for GX): the psycopg2 dialect, spelled out, with
    optional session settings passed to the server through libpq's ``options``."""
    dsn = libpq_dsn(dsn)
    if dsn.startswith("postgresql://"):
        dsn = "postgresql+psycopg2://" + dsn[len("postgresql://"):]
    if settings:
        parts = urlsplit(dsn)
        query = parse_qsl(parts.query)
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        query = [(k, f"{v} {options}" if k == "options" else v) for k, v in query]
        if not any(k == "options" for k, _ in query):
            query.append(("options", options))
        dsn = urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    return dsn
