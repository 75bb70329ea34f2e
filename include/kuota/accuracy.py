"""How right screening is: precision and recall of each reason, and of the similarity index
over a sweep of thresholds, against the generator's ground-truth labels.

Benchmark and tests only: the pipeline never reads labels (real cutoffs have none). Labels are
streamed into a temp table with COPY; the comparison is set-based SQL (accuracy_*.sql).
"""
from __future__ import annotations

import gzip

from . import db
from .contract import SCREENING_REASONS
from .storage import Storage

THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _load_labels(conn, storage: Storage, labels_uri: str) -> None:
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE label (jenis text, id uuid, label text, partner uuid) ON COMMIT DROP")
        with storage.open_read(labels_uri) as raw, gzip.open(raw, "rb") as rows:
            cur.copy_expert("COPY label FROM STDIN WITH (FORMAT csv, HEADER true)", rows, size=1 << 20)
        cur.execute("CREATE INDEX ON label (id); ANALYZE label")


def evaluate(dsn: str, storage: Storage, labels_uri: str, periode: str,
             thresholds: tuple[float, ...] = THRESHOLDS) -> dict:
    """{"reasons": [...], "similarity": [...]}: counts, precision and recall per row."""
    with db.connect(dsn) as conn:
        _load_labels(conn, storage, labels_uri)
        reasons = db.run(conn, "accuracy_reasons", {"periode": periode, "reasons": list(SCREENING_REASONS)})
        sweep = db.run(conn, "accuracy_similarity", {"periode": periode, "thresholds": list(thresholds)})
    return {
        "reasons": [{"reason": r, "labelled": n, "flagged": f, "correct": c,
                     "precision": _ratio(c, f), "recall": _ratio(c, n)} for r, n, f, c in reasons],
        "similarity": [{"threshold": round(t, 2), "labelled": n, "flagged": f, "correct": c, "twins_flagged": tw,
                        "precision": _ratio(c, f), "recall": _ratio(c, n)} for t, n, f, c, tw in sweep],
    }
