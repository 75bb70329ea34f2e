"""The injection group of a stage (exchange.md §2 injeksi): one request per recipient package
on an approved SPTJM (domain.md K5), at most one per recipient in the period (the database
refuses a second). ``berhasil`` is what the BAST pays; ``gagal`` makes the recipient residu
``injeksi_gagal``; a ``berhasil`` reported again is a provider anomaly, never counted twice.
The transport is the provider exchange's, shared with validasi."""

from __future__ import annotations

import datetime as dt

from ..infra.storage import Storage
from ..partners import exchange

KIND = "injeksi"


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
    """The whole injection exchange without Airflow (tests, the bench)."""
    return exchange.run_exchange(dsn, storage, exchange_uri, periode, KIND, deadline, batch_rows, poll_seconds)
