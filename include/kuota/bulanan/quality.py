"""The monthly run's data-quality suites (Great Expectations Core, through kuota.infra.suites):
the cutoff snapshot's and screening's, each run right after its step.

Each suite reads table assets on the ``quality.*`` views, which show one cutoff or one period
(the session setting ``kuota.cutoff_id`` or ``kuota.periode`` of the suite's connection), so GX
computes every expectation in SQL with bounded memory: nothing is pulled into the worker. (A GX
query asset would fetch its whole result into the worker first.)
"""

from __future__ import annotations

import logging

from ..infra import datadocs, db
from ..infra.errors import QualityError
from ..infra.suites import run_suites
from ..partners.contract import (
    BENTUK_PENDIDIKAN,
    JENIS_KELAMIN,
    JENIS_KELUAR,
    JENIS_PTK,
    KEPEMILIKAN_HP,
    KODE_PROVINSI,
    LATER_REASONS,
    PROVIDERS,
    RECIPIENT_STATES,
    SCREENING_REASONS,
    STATUS_PD,
    STATUS_PTK,
    STATUS_SEKOLAH,
)
from ..periode import Period

log = logging.getLogger(__name__)


def _snapshot_suites(gx, expected_rows: dict) -> dict:
    """What the snapshot's constraints do not say already: each table's id is its primary key
    with the cutoff (not null, once), which no suite needs to count again (at 10 million a
    uniqueness expectation is a sort of every id)."""
    E = gx.expectations
    common = {
        "sekolah": [
            E.ExpectColumnValuesToNotBeNull(column="npsn"),
            E.ExpectColumnValuesToBeUnique(column="npsn"),
            E.ExpectColumnValuesToBeInSet(column="bentuk_pendidikan", value_set=list(BENTUK_PENDIDIKAN)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_SEKOLAH)),
            E.ExpectColumnValuesToBeInSet(column="kode_provinsi", value_set=list(KODE_PROVINSI)),
        ],
        "peserta_didik": [
            E.ExpectColumnValuesToNotBeNull(column="sekolah_id"),
            E.ExpectColumnValuesToBeInSet(column="jenis_kelamin", value_set=list(JENIS_KELAMIN)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_PD)),
            E.ExpectColumnValuesToBeInSet(column="kepemilikan_hp", value_set=list(KEPEMILIKAN_HP)),
            E.ExpectColumnValuesToBeBetween(column="tingkat_pendidikan", min_value=0, max_value=13),
        ],
        "ptk": [
            E.ExpectColumnValuesToNotBeNull(column="sekolah_id"),
            E.ExpectColumnValuesToBeInSet(column="jenis_kelamin", value_set=list(JENIS_KELAMIN)),
            E.ExpectColumnValuesToBeInSet(column="jenis_ptk", value_set=list(JENIS_PTK)),
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUS_PTK)),
            E.ExpectColumnValuesToBeInSet(column="jenis_keluar", value_set=list(JENIS_KELUAR)),
            E.ExpectColumnValuesToBeInSet(column="kepemilikan_hp", value_set=list(KEPEMILIKAN_HP)),
        ],
    }
    for table, expectations in common.items():
        # Every manifest row is either in the snapshot or reported format_tidak_valid.
        expectations.append(E.ExpectTableRowCountToEqual(value=expected_rows[table]))
    return common


def _expected_rows(dsn: str, cutoff_id: int) -> dict:
    """Manifest rows minus reported rows, counted from the evidence, not from the loader."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "bulanan/snapshot/06_count_expected_rows", {"cutoff_id": cutoff_id})
    return {table: int(n) for table, n in rows}


def _check_volume(dsn: str, cutoff_id: int, periode: str | None) -> tuple[dict, list[str]]:
    """Rows per table and province against the previous cutoff: a file that lost most of its
    rows (a header-only export) still passes every row-level expectation, so the volume is
    checked too. Returns what was compared and the failures, each naming table and province."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "bulanan/snapshot/07_check_volume", {"cutoff_id": cutoff_id, "periode": periode})
    if not rows:
        return {"previous_cutoff_id": None, "outside": 0, "waived": 0}, []
    periode, ambang, prev_id, prev_date = rows[0][:4]
    scope = f"cutoff {cutoff_id}, periode {periode}"
    if ambang is None:
        raise QualityError(
            f"{scope}: no policy ambang_volume_cutoff in force on the period's first day "
            f"(kuota.kebijakan): add one (0.2 = ±20%) and run check_snapshot again"
        )
    if prev_id is None:
        log.info(
            "%s: the first cutoff loaded (none with an earlier cutoff_date): no volume to compare with, "
            "volume check passed",
            scope,
        )
        return {"periode": periode, "previous_cutoff_id": None, "outside": 0, "waived": 0}, []
    failures, waived = [], 0
    for *_, tabel, provinsi, before, now, outside, exempt in rows:
        if not outside:
            continue
        change = f"{(now - before) / before:+.1%}" if before else "new"
        what = (
            f"snapshot volume: {tabel} in province {provinsi}: {now:,} rows, the previous cutoff {prev_date} "
            f"(id {prev_id}) had {before:,} ({change}; policy ambang_volume_cutoff allows ±{ambang:.0%})"
        )
        if exempt:
            waived += 1
            log.warning("%s: %s, waived by policy pengecualian_volume_cutoff", scope, what)
        else:
            failures.append(what)
    outside = len(failures)
    log.info(
        "%s: volume against cutoff %s (%s): %d table/province counts compared, %d outside ±%s (%d waived)",
        scope,
        prev_id,
        prev_date,
        len(rows),
        outside + waived,
        f"{ambang:.0%}",
        waived,
    )
    if failures:
        failures.append(
            f"if the change is known, waive it for periode {periode} in kuota.kebijakan "
            f"'pengecualian_volume_cutoff' (README, 'Waiving the volume check') and run check_snapshot "
            f"again; otherwise ask Dapodik for the complete export"
        )
    return {"periode": periode, "previous_cutoff_id": prev_id, "outside": outside, "waived": waived}, failures


def check_snapshot(dsn: str, cutoff_id: int, periode: str | None = None, docs: Period | None = None) -> dict:
    """The snapshot suite of one cutoff, and its volume against the previous cutoff under the
    period's policies (``periode`` None: the latest period bound to the cutoff, or ``docs``'s).
    ``docs``: the period whose output keeps the suite's Data Docs (None: none are built); the
    cutoff's checks come before the period's steps, so its warehouse and period stay
    ``dsn`` and ``periode``."""
    import great_expectations as gx

    cutoff_id = int(cutoff_id)
    periode = periode or (docs.periode if docs else None)
    volume, volume_failures = _check_volume(dsn, cutoff_id, periode)
    suites = {f"snapshot_{table}": exps for table, exps in _snapshot_suites(gx, _expected_rows(dsn, cutoff_id)).items()}
    site = datadocs.Site.of(docs.with_(periode=periode) if docs and periode else docs, "snapshot")
    try:
        checked = run_suites(dsn, {"kuota.cutoff_id": cutoff_id}, f"cutoff {cutoff_id}", suites, site)
    except QualityError as err:
        if volume_failures:
            raise QualityError("\n".join([str(err), *volume_failures])) from None
        raise
    if volume_failures:
        raise QualityError(
            f"cutoff {cutoff_id}: {len(volume_failures) - 1} table/province volumes changed beyond "
            f"the policy:\n" + "\n".join(volume_failures)
        )
    return {"cutoff_id": cutoff_id, "expectations": checked, "failed": 0, "volume": volume}


def check_screening(period: Period) -> dict:
    """Screening's contract: every cutoff record of the period in exactly one state, each
    residu with one known reason, each eligible record ready for the provider exchange, each
    pair of kemungkinan_orang_sama whole and above the period's threshold."""
    import great_expectations as gx

    E = gx.expectations
    dsn, periode = period.dsn, period.periode
    with db.connect(dsn) as conn:
        ((expected,),) = db.run(conn, "bulanan/screening/06_count_expected_rows", {"periode": periode})
        ((policy,),) = db.run(conn, "bulanan/screening/01_record_kebijakan", {"periode": periode})
    suites = {
        "penerima": [
            E.ExpectTableRowCountToEqual(value=int(expected)),
            # One row per record is kuota.penerima's primary key (periode, jenis, id): a
            # constraint no row can break. Checking it here again cost 43% of the suite's
            # queries (a join of every row with its group's count; docs/benchmarks.md).
            # A re-run after later stages finds records moved on: any state, any reason.
            E.ExpectColumnValuesToBeInSet(column="status", value_set=list(RECIPIENT_STATES)),
            E.ExpectColumnValuesToBeInSet(column="alasan", value_set=[*SCREENING_REASONS, *LATER_REASONS]),
            E.ExpectColumnValuesToBeInSet(column="provider", value_set=list(PROVIDERS)),
        ],
        "penerima_siap": [
            E.ExpectColumnValuesToNotBeNull(column="msisdn"),
            E.ExpectColumnValuesToMatchRegex(column="msisdn", regex=r"^628[0-9]{8,11}$"),
            E.ExpectColumnValuesToNotBeNull(column="provider"),
            E.ExpectColumnValuesToBeInSet(
                column="paket_gb", value_set=sorted(int(v) for v in policy["paket_gb"].values())
            ),
            E.ExpectColumnValuesToBeNull(column="alasan"),
        ],
        # Both records of a flagged pair are flagged, naming each other, above the threshold, not twins.
        "penerima_kemiripan": [
            E.ExpectColumnValuesToNotBeNull(column="partner_id"),
            E.ExpectColumnValuesToBeInSet(column="partner_alasan", value_set=["kemungkinan_orang_sama"]),
            E.ExpectColumnValuesToNotBeNull(column="partner_alasan"),
            E.ExpectColumnValuesToNotBeNull(column="skor"),
            E.ExpectColumnValuesToBeInSet(column="kembar", value_set=[False]),
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="skor", column_B="ambang", or_equal=True),
        ],
    }
    checked = run_suites(
        dsn, {"kuota.periode": periode}, f"periode {periode}", suites, datadocs.Site.of(period, "screening")
    )
    return {"periode": periode, "records": int(expected), "expectations": checked, "failed": 0}
