"""The run summary a data engineer reads at the end of each run's log (both DAGs, the demo):
the period's state, the cutoff's rows, the screening funnel, the exchanges, SPTJMs, the BAST and
the funnel from cutoff to injection."""

from __future__ import annotations

from . import periode as lifecycle
from .bulanan import screening
from .infra import db
from .partners.contract import LATER_REASONS
from .periode import Period
from .tahap import ekspor, validasi


def summary(period: Period) -> str:
    """The run summary a data engineer reads at the end of the run's log."""
    dsn, periode = period.dsn, period.periode
    with db.connect(dsn) as conn:
        rows = db.run(conn, "summary/01_count_snapshot", {"periode": periode})
    if not rows:
        return f"periode {periode}: not opened yet"
    lines = [
        f"periode {periode}, cutoff {rows[0][0]} (id {rows[0][1]})",
        *lifecycle.describe(lifecycle.state(dsn, periode), periode),
        f"  {'table':<15}{'manifest':>12}{'loaded':>12}{'format_tidak_valid':>20}",
    ]
    for _, _, tabel, manifest_rows, loaded, invalid in rows:
        lines.append(f"  {tabel:<15}{manifest_rows:>12,}{loaded:>12,}{invalid:>20,}")
    funnel = screening.funnel(period)
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
            ) = db.run(conn, "summary/03_count_kemiripan", {"periode": periode})
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
    split = validasi.split(period)
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
    return "\n".join(lines + _later_stages(period))


def _later_stages(period: Period) -> list[str]:
    """SPTJM, injection per provider (the BAST) and the funnel, once the period got that far."""
    dsn, periode = period.dsn, period.periode
    with db.connect(dsn) as conn:
        ((issued, approved, rejected, waiting, refused),) = db.run(conn, "summary/05_count_sptjm", {"periode": periode})
        funnel = db.run(conn, "summary/06_count_funnel", {"periode": periode, "later": list(LATER_REASONS)})
    lines = []
    if issued:
        lines += [
            "",
            f"  SPTJM: {issued:,} issued, {approved:,} approved, {rejected:,} rejected, {waiting:,} awaiting "
            f"a decision; corrections refused (reported): {refused:,}",
        ]
    rows = ekspor.bast(period)
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
