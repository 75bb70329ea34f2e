"""Residu back to schools (exchange.md §3): ``portal/<periode>/residu/<npsn>.csv`` per school,
each with its manifest, and the residu counts per province, district and school. Residu that
names no known school (a malformed row) goes to ``portal/<periode>/residu_tanpa_sekolah.csv``.

A school whose residu is all resolved since gets its file again, empty (header only, 0 rows).
Streamed from the warehouse one school at a time (a server-side cursor): memory holds one
school's rows and a bounded queue of writes. A file is rewritten only when its bytes changed
(compared with the MD5 of what one listing shows), so a re-run puts nothing and the portal
sees the same bytes and manifests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor

from .. import periode as lifecycle
from ..infra import db
from ..infra.progress import Progress
from ..infra.storage import Storage, join
from ..partners.layout import portal_root, residu_folder
from ..partners.manifest import file_manifest, manifest_name
from ..periode import Period

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


def _rekap_bytes(conn, periode: str) -> tuple[bytes, int]:
    """The rekap as CSV bytes straight from COPY (a row per school and reason: at national
    scale millions of rows, which as Python tuples would cost ten times the memory)."""
    out = io.BytesIO()
    out.write(_csv_bytes(REKAP_COLUMNS, []))
    db.copy_out(conn, "bulanan/residu/02_count_rekap_residu", {"periode": periode}, out)
    data = out.getvalue()
    return data, data.count(b"\n") - 1


class _Publisher:
    """Writes data files then their manifests, in parallel (S3 latency, not bandwidth, bounds
    thousands of small files), skipping files whose bytes are already in place."""

    def __init__(self, storage: Storage, folder: str, workers: int = 16):
        self.storage, self.folder = storage, folder
        self.in_place = storage.md5_by_name(folder)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish")
        self.pending: list = []
        self.written = 0
        self.published: set[str] = set()

    def stale_csv(self) -> list[str]:
        """Data files in place that this run did not publish (their subject has none now)."""
        return sorted(n for n in self.in_place if n.endswith(".csv") and n not in self.published)

    def publish(self, name: str, data: bytes, rows: int, created_at: str, **fields) -> None:
        self.published.add(name)
        manifest = file_manifest(name, data, rows, created_at, **fields)
        if (
            self.in_place.get(name) == hashlib.md5(data).hexdigest()
            and self.in_place.get(manifest_name(name)) == hashlib.md5(manifest).hexdigest()
        ):
            return
        self.pending.append(self.pool.submit(self._write, name, data, manifest))
        if len(self.pending) >= 1_000:  # bounded memory: wait for the oldest writes
            self._drain()

    def _write(self, name: str, data: bytes, manifest: bytes) -> None:
        self.storage.write_bytes(join(self.folder, name), data)
        # The manifest last: only its presence means the file is complete.
        self.storage.write_bytes(join(self.folder, manifest_name(name)), manifest)

    def _drain(self) -> None:
        for future in self.pending:
            future.result()  # re-raises a failed write
            self.written += 1
        self.pending = []

    def close(self) -> int:
        self._drain()
        self.pool.shutdown()
        return self.written


@lifecycle.while_open("writing residu files")
@db.one_at_a_time("residu")
def write_residu(period: Period) -> dict:
    """Every school with residu gets its file; returns counts (schools, rows, files written)."""
    dsn, storage, exchange_uri, periode = period.dsn, period.files(), period.exchange(), period.periode
    portal = portal_root(exchange_uri, periode)
    schools = rows = 0
    publisher = _Publisher(storage, residu_folder(exchange_uri, periode))
    # Pusdatin's own files beside the schools' folder: residu naming no school, and the rekap.
    own = _Publisher(storage, portal, workers=1)
    progress = Progress(log, f"residu for periode {periode}", unit="schools")
    with db.connect(dsn) as conn:
        with conn.cursor(name="residu_sekolah") as cur:
            cur.itersize = 20_000
            cur.execute(db.sql("bulanan/residu/01_list_residu_sekolah"), {"periode": periode})
            for npsn, group in itertools.groupby(cur, key=lambda r: r[0]):
                group = list(group)
                data = _csv_bytes(RESIDU_COLUMNS, (r[1:8] for r in group))
                target = publisher if npsn else own
                target.publish(
                    f"{npsn}.csv" if npsn else UNKNOWN_SCHOOL, data, len(group), group[0][8], periode=periode, npsn=npsn
                )
                schools += bool(npsn)
                rows += len(group)
                progress.add(bool(npsn))
        rekap, rekap_rows = _rekap_bytes(conn, periode)
        ((created_at,),) = db.run(conn, "bulanan/residu/03_stamp_residu", {"periode": periode})
    # A school whose residu is all resolved gets an empty file (header, 0 rows), not silence:
    # its old list would otherwise stay in the portal as if still open.
    emptied = publisher.stale_csv()
    for name in emptied:
        publisher.publish(name, _csv_bytes(RESIDU_COLUMNS, []), 0, created_at, periode=periode, npsn=name[:-4])
    # Residu per reason for each province, district and school: the dashboard's feed.
    own.publish("rekap_residu.csv", rekap, rekap_rows, created_at, periode=periode)
    written = publisher.close() + own.close()
    log.info(
        "residu for periode %s: %d schools, %d rows, %d schools now without residu, %d files written "
        "(others unchanged)",
        periode,
        schools,
        rows,
        len(emptied),
        written,
    )
    return {
        "periode": periode,
        "schools": schools,
        "rows": rows,
        "written": written,
        "rekap_rows": rekap_rows,
        "emptied": len(emptied),
    }
