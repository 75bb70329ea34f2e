"""Two runs of the same period compared, byte for byte: every table of the warehouse (kuota,
snapshot, cockpit) and every file the period wrote or received (exchange and output). The
Celery demo (scripts/demo-celery.sh) uses it to show that CeleryExecutor with two workers
gives what one process gives.

What only says *when* or *by which run* is left out, and nothing else:
- columns of a timestamp type (written with now()), and the seconds a load took;
- the columns that name the run that did a step (``oleh``, ``applied_by``): a triggered run is
  ``manual__<time>``, a ``dags test`` run another id;
- the digests the warehouse keeps of the partners' own files (answers, corrections,
  decisions): the partners write the time of their answer into them. The files themselves
  are compared;
- in a file (gunzipped first) and in its name, the times written into it are masked before
  the digest: ISO 8601, the compact form Data Docs name their runs by, and the epoch seconds
  Data Docs sort them by; so are the random element ids of Data Docs' collapsible blocks;
- in a manifest, the sha256 of the file it describes (that file is compared itself, its times
  masked);
- a PDF is compared by its text as poppler's ``pdftotext -layout`` reads it, its times masked:
  in the PDF's bytes a time is inside a compressed stream, in a font subset's codes (the
  BAST names the time of the answers it counts);
- how the schools bundle their decisions into files (``portal/<periode>/persetujuan/``)
  follows when each SPTJM reached them, a partner's timing: the provinces' tasks write the
  SPTJMs a few seconds apart, on two workers in another order. So the decisions' rows are
  compared as one set, and the files' names are left out, with the warehouse's record of
  them: ``kuota.sptjm.berkas``, and the persetujuan rows of ``kuota.berkas_portal``, which
  are compared as the rows loaded and the files quarantined.
Every other column and every other byte is compared.

    A=<dsn> B=<dsn> python -m kuota_tools.run_digest --a A EXCHANGE_URI OUTPUT_URI --b B EXCHANGE_URI OUTPUT_URI
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys

import psycopg2

from kuota.infra import db
from kuota.infra.storage import Storage, join

SCHEMAS = ("kuota", "snapshot", "cockpit")
# Column names left out in every table (who ran it, how long it took) ...
RUN_COLUMNS = {"oleh", "applied_by", "seconds"}
# ... and in these tables only: the digest and ETag of a partner's file.
PARTNER_FILE_COLUMNS = {
    "kuota.berkas_portal": {"sha256"},
    "kuota.jawaban": {"sha256", "sidik"},
    "kuota.anomali_provider": {"sha256"},
    "kuota.sptjm": {"berkas"},
}
# The schools' decision files, bundled as the schools saw the SPTJMs (above): the rows of the
# table that name them one by one are compared in sum.
BUNDLED_ROWS = {
    "kuota.berkas_portal": (
        "jenis <> 'persetujuan'",
        "SELECT hasil, sum(baris)::text FROM kuota.berkas_portal WHERE jenis = 'persetujuan' GROUP BY 1",
        "kuota.berkas_portal, persetujuan (rows loaded, files quarantined)",
    )
}
BUNDLED_FILES = re.compile(r"portal/[^/]+/persetujuan/")
TIME = re.compile(
    rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
    rb"|\d{8}T\d{6}(?:\.\d+)?Z"
    rb"|(?<='_run_time_sort': )\d+\.\d+"
    rb"|(?<=-collapse-body-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def table_digests(dsn: str) -> dict[str, str]:
    """schema.table -> 'rows md5' over its rows as text, in text order (the same rows inserted
    in another order give the same digest)."""
    out = {}
    conn = psycopg2.connect(db.libpq_dsn(dsn))
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT c.table_schema, c.table_name,
                          array_agg(quote_ident(c.column_name) ORDER BY c.ordinal_position)
                   FROM information_schema.columns c
                   JOIN information_schema.tables t USING (table_schema, table_name)
                   WHERE c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE'
                     AND NOT (SELECT relispartition FROM pg_class  -- its rows are its parent's
                              WHERE oid = format('%%I.%%I', c.table_schema, c.table_name)::regclass)
                     AND c.data_type NOT LIKE 'timestamp%%' AND NOT c.column_name = ANY(%s)
                   GROUP BY 1, 2 ORDER BY 1, 2""",
                (list(SCHEMAS), sorted(RUN_COLUMNS)),
            )
            for schema, table, columns in cur.fetchall():
                partner = PARTNER_FILE_COLUMNS.get(f"{schema}.{table}", set())
                columns = [c for c in columns if c not in partner]
                where, bundled, label = BUNDLED_ROWS.get(f"{schema}.{table}", ("true", None, None))
                cur.execute(
                    f"SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '-') "
                    f"FROM (SELECT ROW({', '.join(columns)})::text AS r FROM {schema}.{table} WHERE {where}) x"
                )
                rows, digest = cur.fetchone()
                out[f"{schema}.{table}"] = f"{rows} {digest}"
                if bundled:
                    cur.execute(bundled)
                    out[label] = f"0 {sorted(cur.fetchall())}"  # 0: its rows are counted above
    finally:
        conn.close()
    return out


def without_times(data: bytes) -> bytes:
    return TIME.sub(b"<time>", data)


def _without_digests(value):
    if isinstance(value, dict):
        return {k: _without_digests(v) for k, v in value.items() if k != "sha256"}
    if isinstance(value, list):
        return [_without_digests(v) for v in value]
    return value


def file_digests(storage: Storage, uri: str) -> dict[str, str]:
    """Key under ``uri`` (its times masked) -> sha256 of its bytes, gunzipped, times masked."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    out, bundled = {}, {}
    for page in storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            name = item["Key"][len(prefix) + 1 :]
            data = storage.read_bytes(join(uri, name))
            if name.endswith(".gz"):
                data = gzip.decompress(data)
            if name.endswith(".manifest.json"):
                data = json.dumps(_without_digests(json.loads(data)), sort_keys=True).encode()
            if name.endswith(".pdf"):
                data = _pdf_text(data)
            folder = BUNDLED_FILES.match(name)
            if folder:
                if name.endswith(".csv"):  # the rows; each file's header and manifest left out
                    bundled.setdefault(folder.group(0), []).extend(without_times(data).splitlines()[1:])
                continue
            out[without_times(name.encode()).decode()] = hashlib.sha256(without_times(data)).hexdigest()
    for folder, rows in bundled.items():
        digest = hashlib.sha256(b"\n".join(sorted(rows))).hexdigest()
        out[f"{folder}* (their rows as one set)"] = f"{len(rows)} rows {digest}"
    return out


def _pdf_text(data: bytes) -> bytes:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout


def compare(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _dsn(variable: str) -> str:
    dsn = os.environ.get(variable)
    if not dsn:
        raise SystemExit(f"run_digest: the environment variable {variable} (a run's warehouse DSN) is not set")
    return dsn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kuota_tools.run_digest", description=__doc__)
    # Each run's warehouse by the name of the environment variable that holds its DSN: the DSN
    # carries the password, and an argument shows in ps.
    parser.add_argument("--a", nargs=3, metavar=("DSN_VARIABLE", "EXCHANGE_URI", "OUTPUT_URI"), required=True)
    parser.add_argument("--b", nargs=3, metavar=("DSN_VARIABLE", "EXCHANGE_URI", "OUTPUT_URI"), required=True)
    parser.add_argument("--names", nargs=2, default=("a", "b"), help="what to call the two runs")
    args = parser.parse_args(argv)
    storage = Storage()
    different = 0
    kinds = (
        ("tables", lambda side: table_digests(_dsn(side[0]))),
        ("exchange files", lambda side: file_digests(storage, side[1])),
        ("output files", lambda side: file_digests(storage, side[2])),
    )
    for kind, digest in kinds:
        a, b = digest(args.a), digest(args.b)
        differ = compare(a, b)
        different += len(differ)
        rows = sum(int(v.split()[0]) for v in a.values()) if kind == "tables" else None
        what = f"{len(a)} tables, {rows:,} rows" if rows is not None else f"{len(a)} files"
        print(f"   {kind:<15} {what:<32} {'identical' if not differ else f'{len(differ)} differ'}")
        for key in differ[:20]:
            print(
                f"     differs: {key}  {args.names[0]}={a.get(key, 'absent')}  {args.names[1]}={b.get(key, 'absent')}"
            )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
