"""Warehouse access: psycopg2 connections and the SQL files of include/sql/."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg2

from .. import SQL_DIR
from .errors import Busy

log = logging.getLogger(__name__)


@functools.cache
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


@contextlib.contextmanager
def serialized(
    dsn: str, periode: str, step: str, shared: bool = False, wait_seconds: float = 3600, poll_seconds: float = 1.0
):
    """One process at a time runs ``step`` of ``periode`` (a CLI beside a DAG run, two
    triggers, a task cleared while it still runs): a session advisory lock, held on a
    connection of its own for the whole step, across the step's transactions, and released
    by PostgreSQL if the process dies. A second run waits (logging why), then finds the work
    done; it never meets the first one's rows as a raw constraint error. ``shared`` steps
    run beside each other but not beside the exclusive one of the same name."""
    conn = psycopg2.connect(libpq_dsn(dsn), application_name=f"kuota {periode} {step}"[:63])
    conn.autocommit = True
    try:
        take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        until, told = time.monotonic() + wait_seconds, 0.0
        with conn.cursor() as cur:
            while True:
                cur.execute(f"SELECT {take}(hashtext(%s), hashtext(%s))", (periode, step))
                if cur.fetchone()[0]:
                    break
                now = time.monotonic()
                if now > until:
                    raise Busy(
                        f"periode {periode}: '{step}' is still running in another process after "
                        f"{wait_seconds:.0f} s; let it finish (see pg_stat_activity, application_name "
                        f"'kuota {periode} {step}'), then run this again"
                    )
                if now - told >= 30:
                    log.warning(
                        "periode %s: '%s' is running in another process: waiting for it to finish", periode, step
                    )
                    told = now
                time.sleep(poll_seconds)
        yield
    finally:
        conn.close()  # releases the lock


def step_of(bound: dict) -> tuple[str, str]:
    """The warehouse and the period of a step's bound arguments: its ``period`` (a
    ``kuota.periode.Period``), else its ``dsn`` and ``periode``."""
    if "period" in bound:
        return bound["period"].dsn, bound["period"].periode
    return bound["dsn"], bound["periode"]


def one_at_a_time(step: str):
    """A step of a period (a function taking a ``period``, or ``dsn`` and ``periode``) run
    under ``serialized``: two runs of the period at once do it one after the other."""

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def serialized_step(*args, **kwargs):
            with serialized(*step_of(signature.bind(*args, **kwargs).arguments), step):
                return fn(*args, **kwargs)

        return serialized_step

    return wrap


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
        cur.copy_expert(
            f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER {str(header).lower()})", out, size=1 << 20
        )


def sqlalchemy_url(dsn: str, settings: dict | None = None) -> str:
    """The DSN as SQLAlchemy wants it (for GX): the psycopg2 dialect, spelled out, with
    optional session settings passed to the server through libpq's ``options``."""
    dsn = libpq_dsn(dsn)
    if dsn.startswith("postgresql://"):
        dsn = "postgresql+psycopg2://" + dsn[len("postgresql://") :]
    if settings:
        parts = urlsplit(dsn)
        query = parse_qsl(parts.query)
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        query = [(k, f"{v} {options}" if k == "options" else v) for k, v in query]
        if not any(k == "options" for k, _ in query):
            query.append(("options", options))
        dsn = urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))
    return dsn
