"""The validation group of a stage (exchange.md §2 validasi; domain.md K4): every distinct
number waiting (``siap_validasi``) is asked of its provider once; the answer makes its
recipients ``valid`` or residu with the provider's reason. The transport (batches, answers,
quarantine) is the provider exchange's, shared with injeksi; what an answer does to the
recipients is in sql/tahap/validasi/."""

from __future__ import annotations

from ..infra import db
from ..partners.exchange import ProviderExchange
from ..periode import Period

KIND = "validasi"
# The group's steps (providers, plan, open_batches, recheck, run without Airflow).
EXCHANGE = ProviderExchange(KIND)


def split(period: Period) -> list[tuple]:
    """Per provider: batches, answered, quarantined, numbers, then recipients valid, residu by
    the provider's answer, and still waiting."""
    with db.connect(period.dsn) as conn:
        return db.run(conn, "summary/04_count_validasi", {"periode": period.periode})
