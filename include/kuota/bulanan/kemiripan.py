"""The similarity index (screening's last K2 reason), a province at a time.

Every block key holds the pupil's district or province, so no pair crosses a province, and a
province's pass needs the scratch space of that province only: the national pass in one go
needed more than 46 GB of temporary files at 50 million records, more than this machine's disk
had (docs/benchmarks.md). The passes share screening's transaction and its temp tables
(``rekaman``, ``k2``), so the screening stays all or nothing.
"""

from __future__ import annotations

import logging
import time

from ..infra import db
from ..infra.progress import Progress

log = logging.getLogger(__name__)

_SQL = "bulanan/screening/kemiripan/"


def index(conn, periode: str, ambang_kemiripan: float) -> None:
    """Score the candidate pairs of the period's pupils into kuota.kemiripan, write its block
    sizes (kuota.kemiripan_blok) and add the pupils flagged to ``k2``."""
    started = time.monotonic()
    provinces = db.run(conn, _SQL + "01_prepare_profil")
    prepared = time.monotonic()
    pupils_in_all = sum(n for _, n in provinces)
    log.info(
        "periode %s: similarity index: %s pupils in %d provinces to compare, a province at a time"
        " (their names folded and profiles found in %.1fs)",
        periode,
        f"{pupils_in_all:,}",
        len(provinces),
        prepared - started,
    )
    progress = Progress(log, f"periode {periode}: similarity index", unit="pupils", total=pupils_in_all)
    for number, (kode_provinsi, pupils) in enumerate(provinces, 1):
        province_started = time.monotonic()
        db.run(conn, _SQL + "02_screen_provinsi", {"periode": periode, "kode_provinsi": kode_provinsi})
        progress.add(pupils)
        log.info(
            "periode %s: similarity index, province %s (%d of %d): %s pupils in %.1fs",
            periode,
            kode_provinsi,
            number,
            len(provinces),
            f"{pupils:,}",
            time.monotonic() - province_started,
        )
    progress.finish()
    db.run(conn, _SQL + "03_record_blok", {"periode": periode, "ambang_kemiripan": ambang_kemiripan})
