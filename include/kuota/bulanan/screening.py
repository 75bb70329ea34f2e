"""Screening (the monthly run's second step): every cutoff record of a period ends in one state (kuota.penerima).

The rules run as set-based SQL over the snapshot (bulanan/screening/02_normalize_nomor.sql, then SCREENING_PARTS);
this module orders the steps, makes them idempotent and checks that nothing was dropped.
"""

from __future__ import annotations

import logging
import time

from psycopg2.extensions import AsIs

from .. import periode as lifecycle
from ..infra import db
from ..infra.errors import QualityError
from ..infra.progress import alive
from ..partners.contract import SCREENING_REASONS
from ..periode import Period
from . import kemiripan, nomor, quality, residu

log = logging.getLogger(__name__)

# The screening, in order: identifiers (K1, NISN/NIK), the similarity index (a province at a
# time, kemiripan.py), states.
SCREENING_PARTS = ("screen_rekaman", "screen_kemiripan", "screen_penerima")
_PART_SQL = {
    "screen_rekaman": "bulanan/screening/03_screen_rekaman",
    "screen_penerima": "bulanan/screening/04_screen_penerima",
}


def _run_part(conn, part: str, params: dict) -> None:
    if part == "screen_kemiripan":
        kemiripan.index(conn, params["periode"], params["ambang_kemiripan"])
    elif part == "screen_penerima":  # into the period's own partition, attached once filled
        with conn.cursor() as cur:
            cur.execute("SELECT kuota.penerima_partisi(%s)", (params["periode"],))
            ((partisi,),) = cur.fetchall()
        db.run(conn, _PART_SQL[part], {**params, "partisi": AsIs(partisi)})
    else:
        db.run(conn, _PART_SQL[part], params)


@db.one_at_a_time("policies")
def policies(period: Period) -> dict:
    """The policy values the period runs with (recorded at first use, then fixed)."""
    with db.connect(period.dsn) as conn:
        ((values,),) = db.run(conn, "bulanan/screening/01_record_kebijakan", {"periode": period.periode})
    return values


def _cutoff_of(period: Period) -> int:
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "bulanan/snapshot/01_find_periode_cutoff", {"periode": period.periode})
    if not rows:
        raise QualityError(f"periode {period.periode} has no cutoff: run the cutoff snapshot first")
    return rows[0][0]


@db.one_at_a_time("screening numbers")
def normalize_numbers(period: Period) -> dict:
    """The period's cutoff numbers as MSISDN (once per cutoff)."""
    return nomor.normalize_cutoff(period.dsn, _cutoff_of(period))


@lifecycle.while_open("screening")
@db.one_at_a_time("screening")
def screen(period: Period) -> dict:
    """Screen the period's cutoff once; a re-run finds it screened and changes nothing."""
    periode = period.periode
    values = policies(period)
    cutoff_id = normalize_numbers(period)["cutoff_id"]  # a no-op when done
    started = time.monotonic()
    with db.connect(period.dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('screen_penerima'), hashtext(%s))", (periode,))
        ((done,),) = db.run(conn, "bulanan/screening/07_count_penerima", {"periode": periode})
        if done:
            log.info("periode %s: already screened (%d records), skipped", periode, done)
            return {"periode": periode, "records": done, "skipped": True}
        paket = values["paket_gb"]
        params = {
            "periode": periode,
            "cutoff_id": cutoff_id,
            "tanggal": f"{periode}-01",
            "batas_nomor_bersama": int(values["batas_nomor_bersama"]),
            "kecualikan_pkh_pip": bool(values["kecualikan_penerima_pkh_pip"]),
            "ambang_kemiripan": float(values["ambang_kemiripan"]),
            "paket_paud": int(paket["paud"]),
            "paket_pd": int(paket["pd"]),
            "paket_ptk": int(paket["ptk"]),
        }
        seconds = {}
        for number, part in enumerate(SCREENING_PARTS, 1):  # one transaction: the parts share temp tables
            part_started = time.monotonic()
            with alive(log, f"periode {periode}: screening part {number} of {len(SCREENING_PARTS)}, {part}"):
                _run_part(conn, part, params)
            seconds[part] = round(time.monotonic() - part_started, 2)
            for notice in conn.notices:  # what the SQL reports (e.g. blocks over the cap)
                log.warning("periode %s: %s", periode, notice.removeprefix("NOTICE:").strip())
            conn.notices.clear()
            log.info("periode %s: %s done in %.1fs", periode, part, seconds[part])
        ((records,),) = db.run(conn, "bulanan/screening/07_count_penerima", {"periode": periode})
    log.info("periode %s: %d records screened in %.1fs", periode, records, time.monotonic() - started)
    return {
        "periode": periode,
        "records": records,
        "skipped": False,
        "seconds": seconds,
        "similarity_blocks": similarity_blocks(period),
    }


def similarity_blocks(period: Period) -> dict | None:
    """The similarity index's block sizes (kuota.kemiripan_blok), so that a caller sees in the
    result, not only in the log, when blocks stayed over the cap and were compared partially."""
    with db.connect(period.dsn) as conn, conn.cursor() as cur:
        cur.execute(db.sql("bulanan/screening/05_read_kemiripan_blok"), {"periode": period.periode})
        row = cur.fetchone()
        return dict(zip([c.name for c in cur.description], row, strict=True)) if row else None


def funnel(period: Period) -> list[tuple]:
    """(status, alasan, pd, ptk) rows: the screening funnel of the period."""
    with db.connect(period.dsn) as conn:
        return db.run(
            conn, "summary/02_count_screening", {"periode": period.periode, "reasons": list(SCREENING_REASONS)}
        )


def run_screening(period: Period) -> dict:
    """The monthly run's screening end to end, as the DAG's task group runs it (CLI)."""
    result = screen(period)
    result["quality"] = quality.check_screening(period)
    result["residu"] = residu.write_residu(period)
    return result
