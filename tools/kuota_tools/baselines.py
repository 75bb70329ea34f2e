"""Baselines the bench measures beside the pipeline's steps, in the same run, so that the host's
noise cancels in the ratio (issue 17): what the step would cost if it did nothing but move the
bytes.

- ``copy_baseline``: a bare ``COPY`` of the cutoff's rows into an unlogged table of text
  columns, no checks, no keys, read the way the loader reads them (S3 -> gunzip -> COPY).
  COPY refuses a row with the wrong number of fields, so the rows the generator breaks on
  purpose are left out first (not timed): the baseline copies the well-formed rows.
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
import time

from kuota.bulanan import snapshot
from kuota.infra import db
from kuota.infra.storage import Storage, join
from kuota.partners.contract import CUTOFF_COLUMNS, CUTOFF_TABLES


def _well_formed(storage: Storage, uri: str, columns: tuple[str, ...], out: str) -> int:
    """The file's rows with the contract's number of fields, gzipped into ``out``."""
    rows = 0
    with storage.open_read(uri) as raw, gzip.GzipFile(fileobj=raw) as data, gzip.open(out, "wt", newline="") as gz:
        writer = csv.writer(gz, lineterminator="\n")
        for row in csv.reader(io.TextIOWrapper(data, encoding="utf-8", errors="replace", newline="")):
            if len(row) == len(columns):
                writer.writerow(row)
                rows += 1
    return rows - 1  # the header


def copy_baseline(dsn: str, storage: Storage, cutoff_uri: str) -> dict:
    """The rows, and the seconds (``timed_seconds``) of the bare COPY of every cutoff table's
    well-formed rows; preparing the files is not timed."""
    manifest = snapshot.read_manifest(storage, cutoff_uri)
    rows, seconds = 0, 0.0
    for table in CUTOFF_TABLES:
        columns = CUTOFF_COLUMNS[table]
        clean = join(cutoff_uri, "baseline", manifest["tables"][table]["file"])
        with tempfile.NamedTemporaryFile(suffix=".csv.gz") as tmp:
            rows += _well_formed(storage, join(cutoff_uri, manifest["tables"][table]["file"]), columns, tmp.name)
            storage.upload_file(tmp.name, clean)
        with db.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            cur.execute(f"CREATE UNLOGGED TABLE bench_copy_{table} ({', '.join(f'{c} text' for c in columns)})")
            conn.commit()
            started = time.perf_counter()
            with storage.open_read(clean) as raw, gzip.GzipFile(fileobj=raw) as data:
                cur.copy_expert(f"COPY bench_copy_{table} FROM STDIN WITH (FORMAT csv, HEADER)", data, size=1 << 20)
            conn.commit()
            seconds += time.perf_counter() - started
            cur.execute(f"DROP TABLE bench_copy_{table}")
            conn.commit()
    return {"rows": rows, "timed_seconds": seconds}
