"""Phone numbers: normalization to MSISDN runs in SQL (``kuota.msisdn``, migration 0002_screening.sql).

Google's libphonenumber is the reference the SQL rule is tested against, and the per-row
baseline the benchmark compares it with; the pipeline itself never calls it per row.
"""

from __future__ import annotations

import logging
import time

from ..infra import db

log = logging.getLogger(__name__)


def normalize_cutoff(dsn: str, cutoff_id: int) -> dict:
    """Normalize every typed number of the cutoff once (kuota.nomor_cutoff); idempotent."""
    started = time.monotonic()
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('screen_nomor'), %s)", (int(cutoff_id),))
        ((rows, kosong, valid),) = db.run(conn, "bulanan/screening/02_normalize_nomor", {"cutoff_id": int(cutoff_id)})
    seconds = time.monotonic() - started
    log.info(
        "cutoff %s: %d numbers, %d empty, %d valid mobile numbers (%.1fs)", cutoff_id, rows, kosong, valid, seconds
    )
    return {"cutoff_id": int(cutoff_id), "rows": rows, "kosong": kosong, "valid": valid}


def libphonenumber_msisdn(typed: str) -> str | None:
    """libphonenumber's reading (region ID): the MSISDN of a valid Indonesian mobile number."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(typed, "ID")
    except phonenumbers.NumberParseException:
        return None
    if (
        phonenumbers.is_valid_number(parsed)
        and phonenumbers.region_code_for_number(parsed) == "ID"
        and phonenumbers.number_type(parsed)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


def libphonenumber_baseline(dsn: str, cutoff_id: int, limit: int) -> dict:
    """The per-row baseline: up to ``limit`` typed numbers of the cutoff through libphonenumber,
    streamed from a server-side cursor (bounded memory)."""
    rows = valid = 0
    with db.connect(dsn) as conn:
        with conn.cursor(name="nomor_baseline") as cur:
            cur.itersize = 50_000
            cur.execute(
                "SELECT nomor_hp FROM snapshot.peserta_didik WHERE cutoff_id = %s LIMIT %s",
                (int(cutoff_id), int(limit)),
            )
            for (typed,) in cur:
                rows += 1
                valid += libphonenumber_msisdn(typed) is not None
    return {"rows": rows, "valid": valid}
