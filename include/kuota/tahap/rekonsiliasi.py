"""The reconciliation group (rekonsiliasi) of a stage: what the period owes is accounted for before it is
exported or closed. The deadline's close (kuota.partners.exchange.close_unanswered) turns
open requests into residu tanpa_respons_provider; then the exchange's ledger must agree with
the recipients (a quarantined answer not redone fails here, naming its batch), and per
provider every injection request is berhasil, gagal, unanswered or waiting (domain.md: the
BAST pays only berhasil).
"""

from __future__ import annotations

import logging

from ..infra import datadocs, db
from ..infra.errors import QualityError
from ..infra.suites import run_suites
from ..periode import Period

log = logging.getLogger(__name__)


def check_exchange(period: Period) -> dict:
    """The exchange's final word: fails while a batch's answer is quarantined and not redone
    (naming the batch and the error), or if the ledger disagrees with the recipients' states.
    Batches simply still waiting (before the deadline) are reported, not failed."""
    periode = period.periode
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "tahap/rekonsiliasi/01_check_batch", {"periode": periode})
    open_batches = [(b, p, n, q) for kind, b, p, n, q in rows if kind == "batch"]
    broken = {kind: n for kind, _, _, n, _ in rows if kind != "batch" and n}
    if broken:
        raise QualityError(f"periode {periode}: the exchange ledger and the recipients disagree: {broken}")
    quarantined = [(b, q) for b, _, _, q in open_batches if q]
    for batch_id, provider, n, _ in open_batches:
        log.info("batch %s (%s): %d requests still open", batch_id, provider, n)
    if quarantined:
        raise QualityError(
            f"periode {periode}: {len(quarantined)} batch(es) need a redo (clear their "
            f"send_batch with downstream in the stage run, or 'kuota redo-batch'): "
            + " | ".join(q for _, q in quarantined)
        )
    return {"periode": periode, "open_batches": len(open_batches)}


def check_reconciliation(period: Period) -> dict:
    """Per provider, every injection request is answered berhasil or gagal, closed unanswered or
    still pending; the ledger's outcomes agree with the recipients' states, in packages and GB;
    no recipient is berhasil without a berhasil request, nor has two requests in the period."""
    import great_expectations as gx

    E = gx.expectations
    suites = {
        "rekonsiliasi": [
            E.ExpectColumnValuesToBeInSet(column="selisih", value_set=[0]),
            E.ExpectColumnPairValuesToBeEqual(column_A="berhasil", column_B="penerima_berhasil"),
            E.ExpectColumnPairValuesToBeEqual(column_A="gb_berhasil", column_B="gb_penerima_berhasil"),
            E.ExpectColumnPairValuesToBeEqual(column_A="gagal", column_B="penerima_gagal"),
            E.ExpectColumnPairValuesToBeEqual(column_A="menunggu", column_B="penerima_menunggu"),
            E.ExpectColumnValuesToBeUnique(column="provider"),
        ],
        "berhasil_tanpa_ledger": [E.ExpectTableRowCountToEqual(value=0)],
        # A record injected once a period is the constraint injeksi_sekali_per_periode
        # (migration 0005), which tests/test_sptjm_injeksi.py attacks; not counted again here.
    }
    periode = period.periode
    checked = run_suites(
        period.dsn,
        {"kuota.periode": periode},
        f"periode {periode} reconciliation",
        suites,
        datadocs.Site.of(period, "reconciliation"),
    )
    return {"periode": periode, "expectations": checked, "failed": 0}
