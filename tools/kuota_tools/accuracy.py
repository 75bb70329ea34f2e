"""How right screening is: precision and recall of each reason, and of the similarity index
over a sweep of thresholds, against the generator's ground-truth labels.

Benchmark and tests only: the pipeline never reads labels (real cutoffs have none). Labels are
streamed into a temp table with COPY; the comparison is set-based SQL (accuracy_*.sql).
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

from kuota.infra import db
from kuota.infra.storage import Storage
from kuota.partners.contract import SCREENING_REASONS


def tools_sql(name: str) -> str:
    """A SQL file of the tools (tools/kuota_tools/sql/), never shipped with the runtime: an
    absolute name, which db.sql reads as it is."""
    return str(Path(__file__).resolve().parent / "sql" / name)


THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _load_labels(conn, storage: Storage, labels_uri: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE label (jenis text, id uuid, label text, partner uuid, varian text) ON COMMIT DROP"
        )
        with storage.open_read(labels_uri) as raw, gzip.open(raw, "rb") as rows:
            cur.copy_expert("COPY label FROM STDIN WITH (FORMAT csv, HEADER true)", rows, size=1 << 20)
        cur.execute("CREATE INDEX ON label (id); ANALYZE label")


def evaluate(
    dsn: str, storage: Storage, labels_uri: str, periode: str, thresholds: tuple[float, ...] = THRESHOLDS
) -> dict:
    """{"reasons": [...], "similarity": [...]}: counts, precision and recall per row."""
    with db.connect(dsn) as conn:
        _load_labels(conn, storage, labels_uri)
        reasons = db.run(
            conn, tools_sql("01_accuracy_reasons"), {"periode": periode, "reasons": list(SCREENING_REASONS)}
        )
        sweep = db.run(conn, tools_sql("02_accuracy_similarity"), {"periode": periode, "thresholds": list(thresholds)})
        flagged = {(a, b) for a, b in db.run(conn, tools_sql("03_accuracy_kemiripan_ditandai"), {"periode": periode})}
    return {
        "kinds": per_kind(planted_kinds(storage, labels_uri), flagged),
        "reasons": [
            {"reason": r, "labelled": n, "flagged": f, "correct": c, "precision": _ratio(c, f), "recall": _ratio(c, n)}
            for r, n, f, c in reasons
        ],
        "similarity": [
            {
                "threshold": round(t, 2),
                "labelled": n,
                "flagged": f,
                "correct": c,
                "twins_flagged": tw,
                "precision": _ratio(c, f),
                "recall": _ratio(c, n),
            }
            for t, n, f, c, tw in sweep
        ],
    }


# The look-alikes planted as controls: pairs that are two children and must never be flagged.
CONTROLS = ("kembar", "saudara", "nama_umum")


def planted_kinds(storage: Storage, labels_uri: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Every planted pair of pupils the index is measured on (id_a < id_b) with its label and
    how it was written (labels' ``varian``: ``<name kind>|<mother's name kind>``)."""
    out = {}
    with storage.open_read(labels_uri) as raw, gzip.open(raw, "rt", newline="") as rows:
        for row in csv.reader(rows):
            if row[2] == "kemungkinan_orang_sama" or row[2] in CONTROLS:
                out[(min(row[1], row[3]), max(row[1], row[3]))] = (row[2], row[4])
    return out


def per_kind(planted: dict[tuple[str, str], tuple[str, str]], flagged: set[tuple[str, str]]) -> list[dict]:
    """Pairs planted and flagged per kind: each pupil planted twice counts under its name's
    kind, its old-spelling rule (if any) and its mother's name's kind (recall = flagged /
    pairs); each control pair under its control (flagged should be 0)."""
    pairs, hits = Counter(), Counter()
    for pair, (label, varian) in planted.items():
        if label == "kemungkinan_orang_sama":
            nama, ibu = varian.split("|")
            keys = [("name", nama.split(":")[0]), ("mother", ibu.split(":")[0])]
            if ":" in nama:
                keys.append(("name rule", nama))
        else:
            keys = [("control", label)]
        for key in keys:
            pairs[key] += 1
            hits[key] += pair in flagged
    order = {"name": 0, "name rule": 1, "mother": 2, "control": 3}
    return [
        {
            "part": part,
            "kind": kind,
            "pairs": n,
            "flagged": hits[(part, kind)],
            "recall": None if part == "control" else hits[(part, kind)] / n,
        }
        for (part, kind), n in sorted(pairs.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    ]
