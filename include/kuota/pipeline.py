"""The monthly run's steps, one function per Airflow task, small inputs and outputs.

Tasks exchange ids and counts only (XCom stays tiny); the data stays in the warehouse.
"""

from __future__ import annotations

import datetime as dt
import logging

from . import db, ekspor, exchange, migrations, quality, residu, screening, snapshot
from . import periode as lifecycle
from .contract import LATER_REASONS
from .periode import check_periode
from .storage import Storage

log = logging.getLogger(__name__)


def prepare_warehouse(dsn: str, applied_by: str = "kuota") -> list[int]:
    """The warehouse's versioned migrations (kuota.migrations), as the DAG's first task."""
    return migrations.migrate(dsn, applied_by)


def verify_cutoff(storage: Storage, cutoff_uri: str, periode: str | None = None) -> dict:
    """Manifest shape, presence and sha256 of every file; returns the manifest (small). The
    period, when given, is checked first: a bad one should not cost reading the export."""
    if periode is not None:
        check_periode(periode)
    return snapshot.verify_checksums(storage, snapshot.read_manifest(storage, cutoff_uri))


def load_snapshot(
    dsn: str, storage: Storage, manifest: dict, periode: str, opening: dict | None = None, oleh: str = "kuota"
) -> dict:
    """Load the cutoff and open the period on it; the period is checked (its form, that it is
    not closed, nor bound to another cutoff) before anything is loaded. ``opening``: what
    ``periode.check_opening`` said (its deadline and calendar); by default the period's last
    day and the 2020 stage days, even if passed (the DAG and the CLI refuse that up front)."""
    check_periode(periode)
    opening = opening or lifecycle.check_opening(dsn, periode, None, refuse_passed=False)
    snapshot.refuse_other_cutoff(dsn, periode, manifest)
    result = snapshot.load_cutoff(dsn, storage, manifest)
    lifecycle.open_period(dsn, periode, result["cutoff_id"], opening, oleh)
    for tabel, baris, pelanggaran in snapshot.invalid_rows(dsn, result["cutoff_id"]):
        log.warning("format_tidak_valid: %s line %s: %s", tabel, baris, pelanggaran)
    return result


def run_snapshot(
    dsn: str,
    periode: str,
    cutoff_uri: str,
    storage: Storage | None = None,
    batas_jawaban: str | None = None,
    hari_tahap=None,
    strict: bool = False,
) -> dict:
    """Stage 1 end to end, as the DAG's task group runs it (CLI and demo). ``strict``: refuse
    to open a period whose deadline has already passed, as the DAG does."""
    storage = storage or Storage()
    check_periode(periode)
    prepare_warehouse(dsn)
    opening = lifecycle.check_opening(dsn, periode, batas_jawaban, hari_tahap, refuse_passed=strict)
    manifest = verify_cutoff(storage, cutoff_uri, periode)
    result = load_snapshot(dsn, storage, manifest, periode, opening, oleh="kuota snapshot")
    result["quality"] = quality.check_snapshot(dsn, result["cutoff_id"], periode)
    return result


def run_screening(dsn: str, periode: str, exchange_uri: str, storage: Storage | None = None) -> dict:
    """Stage 2 end to end, as the DAG's task group runs it (CLI)."""
    result = screening.screen(dsn, periode)
    result["quality"] = quality.check_screening(dsn, periode)
    result["residu"] = residu.write_residu(dsn, storage or Storage(), exchange_uri, periode)
    return result


@db.one_at_a_time("open_stage")
def open_stage(dsn: str, periode: str | None, tahap: int | None, when: dt.datetime | None = None) -> dict:
    """Record a stage of an opened period (once); a corrections file joins the stage that
    takes it. A scheduled run names neither: they come from the run's date and the period's
    calendar. A closed period is refused; after the deadline the stage is the closing one."""
    periode, tahap = lifecycle.resolve_stage(dsn, periode, tahap, when or dt.datetime.now(dt.UTC))
    s = lifecycle.require_open(dsn, periode, f"stage {tahap}")
    with db.connect(dsn) as conn:
        stages = db.run(conn, "tahap_buka", {"periode": periode, "tahap": tahap})
    log.info(
        "periode %s: stage %d (stages so far: %s); deadline for answers %s",
        periode,
        tahap,
        ", ".join(f"{t} at {at}" for t, at in stages),
        s["batas_jawaban"],
    )
    if s["batas_lewat"]:
        waiting = {k: v for k, v in s["menunggu"].items() if v}
        log.warning(
            "periode %s: the deadline %s has passed: this run plans and sends nothing, closes the requests "
            "still open, and closes the period if nothing waits%s",
            periode,
            s["batas_jawaban"],
            f" (waiting: {waiting})" if waiting else "",
        )
    return {
        "periode": periode,
        "tahap": tahap,
        "stages": len(stages),
        "batas_jawaban": s["batas_jawaban"],
        "batas_lewat": s["batas_lewat"],
    }


def summary(dsn: str, periode: str) -> str:
    """The run summary a data engineer reads at the end of the run's log."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "summary_snapshot", {"periode": periode})
    if not rows:
        return f"periode {periode}: not opened yet"
    lines = [
        f"periode {periode}, cutoff {rows[0][0]} (id {rows[0][1]})",
        *lifecycle.describe(lifecycle.state(dsn, periode), periode),
        f"  {'table':<15}{'manifest':>12}{'loaded':>12}{'format_tidak_valid':>20}",
    ]
    for _, _, tabel, manifest_rows, loaded, invalid in rows:
        lines.append(f"  {tabel:<15}{manifest_rows:>12,}{loaded:>12,}{invalid:>20,}")
    funnel = screening.funnel(dsn, periode)
    if funnel:
        lines += [
            "",
            "  screening funnel (records by state and reason, in precedence order)",
            f"  {'state':<15}{'reason':<26}{'pd':>12}{'ptk':>10}",
        ]
        for status, alasan, pd, ptk in funnel:
            lines.append(f"  {status:<15}{alasan:<26}{pd:>12,}{ptk:>10,}")
        lines.append(f"  {'total':<41}{sum(r[2] for r in funnel):>12,}{sum(r[3] for r in funnel):>10,}")
        with db.connect(dsn) as conn:
            (
                (
                    scored,
                    flagged,
                    twins,
                    threshold,
                    largest,
                    profiles,
                    split_blocks,
                    over_cap,
                    over_cap_pupils,
                    max_comparisons,
                    cap,
                ),
            ) = db.run(conn, "summary_kemiripan", {"periode": periode})
        if scored:
            lines.append(
                f"  similarity index: {scored:,} candidate pairs scored, {flagged:,} flagged "
                f"(score >= {threshold}), {twins:,} twin pairs ruled out"
            )
        if largest is not None:
            lines.append(
                f"  similarity blocks: largest {largest:,} pupils, most profiles in one {profiles:,}; "
                f"{split_blocks:,} blocks over {cap} profiles split; at most {max_comparisons:,} "
                f"comparisons in one block"
            )
            if over_cap:
                lines.append(
                    f"  WARNING similarity index: {over_cap:,} sub-blocks still over {cap} profiles after "
                    f"splitting ({over_cap_pupils:,} pupils), compared by sorted neighbourhood only: review them"
                )
    split = exchange.validation_split(dsn, periode)
    if split:
        lines += [
            "",
            "  validation exchange per provider (batches; recipients after the providers' answers)",
            f"  {'provider':<11}{'batches':>8}{'answered':>9}{'quarant.':>9}{'numbers':>10}{'valid':>10}"
            f"{'tdk_aktif':>10}{'tenggang':>9}{'tdk_kenal':>10}{'no_answer':>10}{'waiting':>9}",
        ]
        for provider, *n in split:
            lines.append(
                f"  {provider:<11}{n[0]:>8,}{n[1]:>9,}{n[2]:>9,}{n[3]:>10,}{n[4]:>10,}{n[5]:>10,}"
                f"{n[6]:>9,}{n[7]:>10,}{n[8]:>10,}{n[9]:>9,}"
            )
    return "\n".join(lines + _later_stages(dsn, periode))


def _later_stages(dsn: str, periode: str) -> list[str]:
    """SPTJM, injection per provider (the BAST) and the funnel, once the period got that far."""
    with db.connect(dsn) as conn:
        ((issued, approved, rejected, waiting, refused),) = db.run(conn, "summary_sptjm", {"periode": periode})
        funnel = db.run(conn, "summary_funnel", {"periode": periode, "later": list(LATER_REASONS)})
    lines = []
    if issued:
        lines += [
            "",
            f"  SPTJM: {issued:,} issued, {approved:,} approved, {rejected:,} rejected, {waiting:,} awaiting "
            f"a decision; corrections refused (reported): {refused:,}",
        ]
    rows = ekspor.bast(dsn, periode)
    if rows:
        lines += [
            "",
            "  injection per provider (BAST: only berhasil is paid)",
            f"  {'provider':<11}{'asked':>9}{'berhasil':>10}{'GB':>12}{'gagal':>8}{'no_answer':>10}"
            f"{'waiting':>9}{'anomalies':>10}",
        ]
        for provider in sorted({r["provider"] for r in rows}):
            mine = [r for r in rows if r["provider"] == provider]
            t = {
                k: sum(r[k] for r in mine)
                for k in ("diminta", "berhasil", "gb_berhasil", "gagal", "tanpa_respons", "menunggu")
            }
            lines.append(
                f"  {provider:<11}{t['diminta']:>9,}{t['berhasil']:>10,}{t['gb_berhasil']:>12,}{t['gagal']:>8,}"
                f"{t['tanpa_respons']:>10,}{t['menunggu']:>9,}{mine[0]['anomali']:>10,}"
            )
    if issued:
        lines += [
            "",
            "  funnel (cutoff -> screened -> valid -> SPTJM approved -> injected)",
            f"  {'':<10}{'':<11}{'cutoff':>10}{'screened':>10}{'valid':>10}{'SPTJM':>10}{'injected':>10}{'GB':>12}",
        ]
        order = {"provinsi": 0, "provider": 1, "total": 2}
        for level, key, *n in sorted(funnel, key=lambda r: (order[r[0]], r[1])):
            lines.append(f"  {level:<10}{key:<11}" + "".join(f"{v:>10,}" for v in n[:-1]) + f"{n[-1]:>12,}")
    return lines
