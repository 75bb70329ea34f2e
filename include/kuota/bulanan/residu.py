"""Residu back to schools (exchange.md §3): ``portal/<periode>/residu/<npsn>.csv`` per school,
each with its manifest, and the residu counts per province, district and school. Residu that
names no known school (a malformed row) goes to ``portal/<periode>/residu_tanpa_sekolah.csv``.

A school whose residu is all resolved since gets its file again, empty (header only, 0 rows).
Streamed from the warehouse one school at a time (a server-side cursor): memory holds one
school's rows and a bounded queue of writes. A file is rewritten only when its bytes changed
(compared with the MD5 of what one listing shows), so a re-run puts nothing and the portal
sees the same bytes and manifests.

At national scale the schools' files are written a province at a time, each province a mapped
task of its own that the workers share (``write_residu_province``; docs/national.md), then
Pusdatin's own files once (``write_residu_rekap``). ``write_residu`` does both in one process
and writes the same bytes.
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


def provinces(period: Period) -> list[str]:
    """The provinces of the period's schools: one mapped task each (a school of any status
    counts, so that one whose residu is all resolved still gets its empty file)."""
    with db.connect(period.dsn) as conn:
        return [p for (p,) in db.run(conn, "bulanan/residu/04_list_provinsi", {"periode": period.periode})]


def _write_schools(conn, periode: str, publisher: _Publisher | None, own: _Publisher | None, provinsi) -> dict:
    """Streams the residu of ``provinsi`` (None: every school and the residu naming none; '':
    only the residu naming no school) into the schools' files (``publisher``) and Pusdatin's
    (``own``); then an empty file for each school of theirs whose residu is all resolved since:
    its old list would otherwise stay in the portal as if still open."""
    schools = rows = 0
    where = "" if provinsi is None else f", province {provinsi}" if provinsi else ", residu naming no school"
    progress = Progress(log, f"residu for periode {periode}{where}", unit="schools")
    with conn.cursor(name="residu_sekolah") as cur:
        cur.itersize = 20_000
        cur.execute(db.sql("bulanan/residu/01_list_residu_sekolah"), {"periode": periode, "provinsi": provinsi})
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
    ((created_at,),) = db.run(conn, "bulanan/residu/03_stamp_residu", {"periode": periode})
    emptied = []
    if publisher is not None:
        stale = publisher.stale_csv()
        if provinsi:  # of this province's schools only
            mine = db.run(conn, "bulanan/residu/05_list_sekolah", {"periode": periode, "provinsi": provinsi})
            stale = sorted(set(stale) & {f"{npsn}.csv" for (npsn,) in mine})
        for name in stale:
            publisher.publish(name, _csv_bytes(RESIDU_COLUMNS, []), 0, created_at, periode=periode, npsn=name[:-4])
        emptied = stale
    return {"schools": schools, "rows": rows, "emptied": len(emptied), "created_at": created_at}


def _write_rekap(conn, periode: str, own: _Publisher, created_at: str) -> int:
    """Residu per reason for each province, district and school: the dashboard's feed."""
    rekap, rekap_rows = _rekap_bytes(conn, periode)
    own.publish("rekap_residu.csv", rekap, rekap_rows, created_at, periode=periode)
    return rekap_rows


def _done(periode: str, what: str, counts: dict, written: int) -> dict:
    log.info(
        "residu for periode %s%s: %d schools, %d rows, %d schools now without residu, %d files written "
        "(others unchanged)",
        periode,
        what,
        counts["schools"],
        counts["rows"],
        counts["emptied"],
        written,
    )
    return {"periode": periode, **{k: v for k, v in counts.items() if k != "created_at"}, "written": written}


@lifecycle.while_open("writing residu files")
@db.one_at_a_time("residu")
def write_residu(period: Period) -> dict:
    """Every school with residu gets its file, and Pusdatin its own, in one process; returns
    counts (schools, rows, files written)."""
    storage, exchange_uri, periode = period.files(), period.exchange(), period.periode
    publisher = _Publisher(storage, residu_folder(exchange_uri, periode))
    # Pusdatin's own files beside the schools' folder: residu naming no school, and the rekap.
    own = _Publisher(storage, portal_root(exchange_uri, periode), workers=1)
    with db.connect(period.dsn) as conn:
        counts = _write_schools(conn, periode, publisher, own, None)
        counts["rekap_rows"] = _write_rekap(conn, periode, own, counts["created_at"])
    return _done(periode, "", counts, publisher.close() + own.close())


@lifecycle.while_open("writing residu files")
def write_residu_province(period: Period, provinsi: str) -> dict:
    """The files of one province's schools. Provinces run beside each other, one task per
    province at a time, never beside ``write_residu`` or ``write_residu_rekap``."""
    storage, exchange_uri, periode = period.files(), period.exchange(), period.periode
    if not provinsi:
        raise ValueError("write_residu_province: a province code, e.g. '31'")
    with (
        db.serialized(period.dsn, periode, "residu", shared=True),
        db.serialized(period.dsn, periode, f"residu {provinsi}"),
    ):
        publisher = _Publisher(storage, residu_folder(exchange_uri, periode))
        with db.connect(period.dsn) as conn:
            counts = _write_schools(conn, periode, publisher, None, provinsi)
        return {"provinsi": provinsi, **_done(periode, f", province {provinsi}", counts, publisher.close())}


@lifecycle.while_open("writing residu files")
@db.one_at_a_time("residu")
def write_residu_rekap(period: Period) -> dict:
    """After the provinces: Pusdatin's own files, the residu naming no school and the rekap."""
    periode = period.periode
    own = _Publisher(period.files(), portal_root(period.exchange(), periode), workers=1)
    with db.connect(period.dsn) as conn:
        counts = _write_schools(conn, periode, None, own, "")
        counts["rekap_rows"] = _write_rekap(conn, periode, own, counts["created_at"])
    return _done(periode, ", Pusdatin's own files", counts, own.close())
