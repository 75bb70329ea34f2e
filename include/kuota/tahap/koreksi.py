"""The corrections group of a stage: the schools' corrections of residu numbers through the
portal (exchange.md §3, ``koreksi/``). A corrected number is screened again by the number
rules and re-enters validation in the same stage; a correction of a record already on an
SPTJM is refused and reported, never applied (its SQL: sql/tahap/koreksi/).
"""

from __future__ import annotations

import logging

from .. import periode as lifecycle
from ..infra import db
from ..partners import portal
from ..partners.layout import portal_folder
from ..periode import Period

log = logging.getLogger(__name__)


@lifecycle.while_open("taking corrections")
def ingest_corrections(period: Period) -> dict:
    """The schools' corrections, while the period can still validate them: after its deadline
    nothing new is asked of a provider, so a correction would only leave its record waiting.
    Late files stay in the portal, unconsumed; the school corrects in Dapodik for the next cutoff."""
    periode = period.periode
    if period.deadline_passed():
        folder = portal_folder(period.exchange(), periode, "koreksi")
        with db.connect(period.dsn) as conn:
            loaded = portal.loaded_files(conn, periode, "koreksi")
        late = [
            m
            for m in period.files().list_names(folder)
            if m.endswith(".manifest.json") and m.removesuffix(".manifest.json") not in loaded
        ]
        if late:
            log.warning(
                "periode %s: the deadline %s has passed: %d corrections files left unconsumed (%s)",
                periode,
                period.deadline.isoformat(),
                len(late),
                ", ".join(late[:5]),
            )
        return {
            "periode": periode,
            "kind": "koreksi",
            "files": 0,
            "loaded": 0,
            "quarantined": [],
            "after_deadline": len(late),
        }
    return portal.ingest(period, "koreksi")
