"""The reference for the similarity index: Splink (probabilistic record linkage, Fellegi-Sunter
trained by expectation maximisation, DuckDB backend) on the same pupils, scored against the
same planted pairs. Benchmark only; splink and duckdb are development dependencies.

The pupils are the ones that reached our index (04_similarity_input.sql), streamed out of
PostgreSQL with COPY into a file DuckDB reads. Splink is given the fields our index compares
(name, mother's name, district; birth date as a blocking key, as ours), the names folded as
ours folds them (old spellings, the Muhammad forms, doubled letters), and standard settings.
The export holds names in a local temporary directory (removed afterwards): run it on
synthetic cutoffs only, never on a real one.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from kuota.infra import db
from kuota.infra.storage import Storage
from kuota.partners.contract import SCREENING_REASONS

from . import accuracy

log = logging.getLogger(__name__)
PROBABILITIES = (0.5, 0.9, 0.99, 0.999, 0.9999)


def planted_pairs(storage: Storage, labels_uri: str, label: str = "kemungkinan_orang_sama") -> set[tuple[str, str]]:
    return _with_label(accuracy.planted_kinds(storage, labels_uri), label)


def _with_label(kinds: dict, label: str) -> set[tuple[str, str]]:
    return {pair for pair, (planted, _) in kinds.items() if planted == label}


def _export(dsn: str, periode: str, path: Path) -> None:
    with db.connect(dsn) as conn, open(path, "w", newline="") as out:
        db.copy_out(
            conn,
            accuracy.tools_sql("04_similarity_input"),
            {"periode": periode, "reasons": list(SCREENING_REASONS)},
            out,
            header=True,
        )


def _predict(path: Path, workdir: str) -> tuple[list[tuple[str, str, float]], int]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect(str(Path(workdir) / "splink.duckdb"))
    con.execute(f"CREATE TABLE murid AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")
    ((records,),) = con.execute("SELECT count(*) FROM murid").fetchall()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="id",
        comparisons=[
            cl.JaroWinklerAtThresholds("nama", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("nama_ibu", [0.95, 0.88]),
            cl.ExactMatch("kode_kabupaten"),
            cl.ExactMatch("tanggal_lahir"),  # always equal within the blocks: its weight is evidence
        ],
        blocking_rules_to_generate_predictions=[
            block_on("tanggal_lahir", "kode_kabupaten"),
            block_on("tanggal_lahir", "nama_ibu"),
        ],
    )
    linker = Linker("murid", settings, db_api=DuckDBAPI(connection=con))
    # The prior from a rule most true pairs meet (the generator types 70% of mothers' names
    # without a slip), then m values by EM in three sessions, each leaving out what it blocks on.
    linker.training.estimate_probability_two_random_records_match([block_on("tanggal_lahir", "nama_ibu")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    for rule in (("tanggal_lahir", "kode_kabupaten"), ("tanggal_lahir", "nama_ibu"), ("nama_ibu", "kode_kabupaten")):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    predictions = linker.inference.predict(threshold_match_probability=min(PROBABILITIES))
    pairs = con.execute(f"SELECT id_l, id_r, match_probability FROM {predictions.physical_name}").fetchall()
    con.close()
    return pairs, records


def run(dsn: str, storage: Storage, labels_uri: str, periode: str) -> dict:
    """Precision and recall of Splink's pairs at several match probabilities, and its time
    (training and prediction; the export from PostgreSQL is timed apart)."""
    kinds_planted = accuracy.planted_kinds(storage, labels_uri)  # the labels, read once
    planted = _with_label(kinds_planted, "kemungkinan_orang_sama")
    twins = _with_label(kinds_planted, "kembar")
    with tempfile.TemporaryDirectory(prefix="kuota-splink-") as workdir:
        path = Path(workdir) / "murid.csv"
        started = time.monotonic()
        _export(dsn, periode, path)
        export_seconds = time.monotonic() - started
        started = time.monotonic()
        pairs, records = _predict(path, workdir)
        seconds = time.monotonic() - started
    log.info("splink: %d pupils, %d pairs at p >= %s in %.1fs", records, len(pairs), min(PROBABILITIES), seconds)
    rows, found_at = [], {}
    for p in PROBABILITIES:
        found = found_at[p] = {tuple(sorted((a, b))) for a, b, prob in pairs if prob >= p}
        correct = len(found & planted)
        rows.append(
            {
                "threshold": p,
                "labelled": len(planted),
                "flagged": len(found),
                "correct": correct,
                "twins_flagged": len(found & twins),
                "precision": correct / len(found) if found else None,
                "recall": correct / len(planted) if planted else None,
            }
        )
    # Per kind at Splink's best match probability (the highest F1), to set beside ours.
    best = max(
        rows,
        key=lambda r: (
            0
            if not r["precision"] or not r["recall"]
            else 2 * r["precision"] * r["recall"] / (r["precision"] + r["recall"])
        ),
    )
    kinds = accuracy.per_kind(kinds_planted, found_at[best["threshold"]])
    return {
        "records": records,
        "seconds": seconds,
        "export_seconds": export_seconds,
        "similarity": rows,
        "kinds": kinds,
        "kinds_threshold": best["threshold"],
    }
