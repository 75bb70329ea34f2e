"""Residu back to schools (exchange.md §3): ``portal/<periode>/residu/<npsn>.csv`` per school,
each with its manifest, and the residu counts per province, district and school. Residu that
names no known school (a malformed row) goes to ``portal/<periode>/residu_tanpa_sekolah.csv``.

Streamed from the warehouse one school at a time (a server-side cursor): memory holds one
school's rows. A school's file is rewritten only when its content changed, so a re-run puts
nothing and the portal sees the same bytes and manifest.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import logging

from . import db
from .manifest import file_manifest, manifest_name
from .storage import Storage, join

log = logging.getLogger(__name__)

RESIDU_COLUMNS = ("jenis", "id", "nisn_or_nuptk", "nama", "nomor_hp", "alasan", "tahap")
REKAP_COLUMNS = ("tingkat", "kode", "alasan", "jumlah")
UNKNOWN_SCHOOL = "residu_tanpa_sekolah.csv"


def _csv_bytes(header: tuple[str, ...], rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _publish(storage: Storage, uri: str, data: bytes, rows: int, created_at: str, **fields) -> bool:
    """Write a data file, then its manifest (its presence means the file is complete); skip
    both when the manifest in place already describes exactly these bytes."""
    folder, name = uri.rsplit("/", 1)
    manifest_uri = join(folder, manifest_name(name))
    manifest = file_manifest(name, data, rows, created_at, **fields)
    if storage.exists(manifest_uri) and json.loads(storage.read_bytes(manifest_uri)).get("sha256") \
            == json.loads(manifest)["sha256"]:
        return False
    storage.write_bytes(uri, data)
    storage.write_bytes(manifest_uri, manifest)
    return True


def write_residu(dsn: str, storage: Storage, exchange_uri: str, periode: str) -> dict:
    """Every school with residu gets its file; returns counts (schools, rows, files written)."""
    folder = join(exchange_uri, "portal", periode, "residu")
    schools = rows = written = 0
    with db.connect(dsn) as conn:
        with conn.cursor(name="residu_sekolah") as cur:
            cur.itersize = 20_000
            cur.execute(db.sql("residu_sekolah"), {"periode": periode})
            for npsn, group in itertools.groupby(cur, key=lambda r: r[0]):
                group = list(group)
                data = _csv_bytes(RESIDU_COLUMNS, (r[1:8] for r in group))
                # No school to send it to: Pusdatin's own list, beside the schools' folder.
                uri = join(folder, f"{npsn}.csv") if npsn else join(exchange_uri, "portal", periode, UNKNOWN_SCHOOL)
                written += _publish(storage, uri, data, len(group), group[0][8], periode=periode, npsn=npsn)
                schools += bool(npsn)
                rows += len(group)
                if schools % 10_000 == 0:
                    log.info("residu: %d schools, %d rows so far", schools, rows)
    rekap = write_rekap(dsn, storage, exchange_uri, periode)
    log.info("residu for periode %s: %d schools, %d rows, %d files written (others unchanged)",
             periode, schools, rows, written)
    return {"periode": periode, "schools": schools, "rows": rows, "written": written, "rekap_rows": rekap}


def write_rekap(dsn: str, storage: Storage, exchange_uri: str, periode: str) -> int:
    """Residu per reason for each province, district and school: the dashboard's feed."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "residu_rekap", {"periode": periode})
        (created_at,), = db.run(conn, "residu_stamp", {"periode": periode})
    _publish(storage, join(exchange_uri, "portal", periode, "rekap_residu.csv"), _csv_bytes(REKAP_COLUMNS, rows),
             len(rows), created_at, periode=periode)
    return len(rows)
