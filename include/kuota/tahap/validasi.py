"""The validation group of a stage (exchange.md §2 validasi; domain.md K4): every distinct
number waiting (``siap_validasi``) is asked of its provider once; the answer makes its
recipients ``valid`` or residu with the provider's reason. The transport (batches, answers,
quarantine) is the provider exchange's, shared with injeksi."""

from __future__ import annotations

import datetime as dt

from ..infra import db
from ..infra.storage import Storage
from ..partners import exchange

KIND = "validasi"


def providers(dsn: str, periode: str) -> list[str]:
    return exchange.providers_to(dsn, periode, KIND)


def plan(
    dsn: str,
    periode: str,
    provider: str,
    batch_rows: int = exchange.DEFAULT_BATCH_ROWS,
    tahap: int = 1,
    deadline: dt.datetime | None = None,
) -> list[dict]:
    return exchange.plan(dsn, periode, provider, KIND, batch_rows, tahap, deadline)


def open_batches(dsn: str, periode: str) -> list[dict]:
    return exchange.open_batches(dsn, periode, KIND)


def recheck(dsn: str, storage: Storage, exchange_uri: str, periode: str) -> dict:
    return exchange.recheck_answered(dsn, storage, exchange_uri, periode, KIND)


def run(
    dsn: str,
    storage: Storage,
    exchange_uri: str,
    periode: str,
    deadline: dt.datetime,
    batch_rows: int = exchange.DEFAULT_BATCH_ROWS,
    poll_seconds: float = 5.0,
) -> dict:
    """The whole validation exchange without Airflow (``kuota validate``)."""
    return exchange.run_exchange(dsn, storage, exchange_uri, periode, KIND, deadline, batch_rows, poll_seconds)


def split(dsn: str, periode: str) -> list[tuple]:
    """Per provider: batches, answered, quarantined, numbers, then recipients valid, residu by
    the provider's answer, and still waiting."""
    with db.connect(dsn) as conn:
        return db.run(conn, "summary/04_validasi", {"periode": periode})
