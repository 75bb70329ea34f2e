"""Phone numbers: normalization to MSISDN runs in SQL (``kuota.msisdn``, migration 0002_screening.sql).

Google's libphonenumber is the reference the SQL rule is tested against, and the per-row
baseline the benchmark compares it with (``kuota_tools.nomor_reference``); the pipeline
never calls it.
"""

from __future__ import annotations

import logging
import time

from psycopg2.extensions import AsIs

from ..infra import db
from ..infra.progress import alive

log = logging.getLogger(__name__)


def normalize_cutoff(dsn: str, cutoff_id: int) -> dict:
    """Normalize every typed number of the cutoff once (kuota.nomor_cutoff); idempotent."""
    started = time.monotonic()
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('screen_nomor'), %s)", (int(cutoff_id),))
        cur.execute("SELECT kuota.nomor_bagian(%s)", (int(cutoff_id),))  # the cutoff's partition
        ((bagian,),) = cur.fetchall()
        with alive(log, f"cutoff {cutoff_id}: normalizing the typed numbers"):
            ((rows, kosong, valid),) = db.run(
                conn, "bulanan/screening/02_normalize_nomor", {"cutoff_id": int(cutoff_id), "bagian": AsIs(bagian)}
            )
    seconds = time.monotonic() - started
    log.info(
        "cutoff %s: %d numbers, %d empty, %d valid mobile numbers (%.1fs)", cutoff_id, rows, kosong, valid, seconds
    )
    return {"cutoff_id": int(cutoff_id), "rows": rows, "kosong": kosong, "valid": valid}
