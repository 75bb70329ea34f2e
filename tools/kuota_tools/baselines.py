"""Baselines the bench measures beside the pipeline's steps, in the same run, so that the host's
noise cancels in the ratio (issue 17): what the step would cost if it did nothing but move the
bytes.

- ``copy_baseline``: a bare ``COPY`` of the cutoff's rows into an unlogged table of text
  columns, no checks, no keys, read the way the loader reads them (S3 -> gunzip -> COPY).
  COPY refuses a row with the wrong number of fields, so the rows the generator breaks on
  purpose are left out first (not timed): the baseline copies the well-formed rows.
- ``put_baseline``: the S3 endpoint's raw PUT rate from the same client, with the same
  concurrency and object sizes as a writer's files (the residu files, the SPTJMs), to compare
  the writer with.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

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


def put_baseline(storage: Storage, folder_uri: str, uri: str, sample: int = 4_000, workers: int = 16) -> dict:
    """The endpoint's own PUT rate from this client: a sample of the objects a step wrote under
    ``folder_uri`` (their sizes, in their order), PUT again as they are under ``uri`` by
    ``workers`` threads, the writer's concurrency. The objects of one stem (``X.csv``,
    ``X.manifest.json``, ``X.pdf``) go one after the other from one thread, as the writer
    writes a file and its manifest (residu), or the CSV, the PDF and the manifest (SPTJM).
    Returns the objects and the timed seconds."""
    bucket, _, prefix = folder_uri[len("s3://") :].partition("/")
    keys = []
    for page in storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/"):
        keys += [item["Key"] for item in page.get("Contents", [])]
        if len(keys) >= sample:
            break

    def stem(key: str) -> str:
        return key.rpartition("/")[0] + "/" + key.rpartition("/")[2].split(".")[0]

    groups = [list(g) for _, g in itertools.groupby(keys[:sample], key=stem)]
    if len(groups) > 1 and len(keys) > sample and stem(keys[sample]) == stem(groups[-1][0]):
        groups.pop()  # a stem the sample cut short
    bodies = [[storage.s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in group] for group in groups]

    def put(n: int) -> None:
        for j, body in enumerate(bodies[n]):
            storage.write_bytes(join(uri, f"{n:06d}-{j}"), body)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(put, range(len(bodies))))
    return {"rows": sum(map(len, bodies)), "groups": len(bodies), "timed_seconds": time.perf_counter() - started}
