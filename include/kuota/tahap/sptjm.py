"""SPTJM (domain.md flow 7, K5; exchange.md §3): issued per school for its valid records,
written to the portal as CSV and a printable PDF, decided by the school's principal.

Issuing locks the listed records' numbers for the period (kuota.sptjm_penerima; the database
refuses a change). The files are a function of the warehouse (the PDF has no clock in it), so
a retry rewrites the same bytes; an SPTJM counts as written once its sha256 is recorded, after
its files and manifest are in place.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from .. import periode as lifecycle
from ..infra import db
from ..infra.pdf import LEADING, LETTERHEAD, MARGIN, PAD, WIDTH, Column, Document, angka, meterai, report_missing, wrap
from ..infra.progress import Progress
from ..infra.storage import Storage
from ..partners import portal
from ..partners.contract import SPTJM_COLUMNS
from ..partners.layout import sptjm_uri
from ..partners.manifest import file_manifest, manifest_uri
from ..periode import Period

log = logging.getLogger(__name__)


@lifecycle.while_open("issuing SPTJMs")
@db.one_at_a_time("sptjm issue")
def issue(period: Period) -> dict:
    """The next SPTJM of every school with valid records not yet on one, in the period's stage
    (idempotent)."""
    periode, tahap = period.periode, period.tahap
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "tahap/sptjm/01_issue_sptjm", {"periode": periode, "tahap": tahap})
    log.info(
        "periode %s tahap %d: %d SPTJM issued, %d records locked", periode, tahap, len(rows), sum(r[1] for r in rows)
    )
    return {
        "periode": periode,
        "tahap": tahap,
        "sptjm": len(rows),
        "records": sum(r[1] for r in rows),
        "paket_gb": sum(r[2] for r in rows),
    }


def _csv(rows: list[tuple]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SPTJM_COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


STATEMENT = (
    "menyatakan dengan sesungguhnya bahwa nomor ponsel penerima bantuan kuota data internet yang "
    "tercantum di bawah ini adalah benar dan dapat dipertanggungjawabkan. Apabila di kemudian hari "
    "terdapat kekeliruan, saya bertanggung jawab penuh sesuai ketentuan peraturan perundang-undangan."
)
COLUMNS = [
    Column("No", 26, "right"),
    Column("Jenis", 34, "center"),
    Column("Nama", 229),
    Column("Nomor ponsel", 92),  # 14 digits, the longest (628 and 11), on one line
    Column("Penyedia", 82),
    Column("Paket", 52, "right"),
]


def render_pdf(head: dict, rows: list[tuple]) -> bytes:
    """The printable SPTJM the principal signs: the statement, every recipient listed with
    the full name, the totals per provider, and the place, date, duty stamp, signature and
    school stamp."""
    return layout_pdf(head, rows).render()


def layout_pdf(head: dict, rows: list[tuple]) -> Document:
    doc = Document(
        (*LETTERHEAD, f"periode {head['periode']} · tahap {head['tahap']}"),
        f"{head['sptjm_no']} · NPSN {head['npsn']}",
        f"SPTJM {head['sptjm_no']}",
    )
    doc.heading(
        "SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK (SPTJM)",
        f"Nomor: {head['sptjm_no']}",
        f"diterbitkan {head['dibuat_at']}",
    )
    doc.paragraph("Yang bertanda tangan di bawah ini:")
    doc.fields(
        [
            ("Nama kepala sekolah", head["kepala_sekolah"] or "-"),
            ("Satuan pendidikan", head["nama_sekolah"] or "-"),
            ("NPSN", head["npsn"]),
        ]
    )
    doc.space()
    doc.paragraph(STATEMENT)
    doc.space()
    doc.table(
        COLUMNS,
        [
            (number, jenis.upper(), nama, msisdn, provider, f"{paket} GB")
            for number, (jenis, _id, nama, msisdn, provider, paket) in enumerate(rows, 1)
        ],
    )
    per_provider: dict[str, tuple[int, int]] = {}
    for _, _, _, _, provider, paket in rows:
        count, gb = per_provider.get(provider, (0, 0))
        per_provider[provider] = (count + 1, gb + int(paket))
    doc.space()
    doc.keep((len(per_provider) + 3) * (LEADING + 2 * PAD))
    doc.paragraph(f"Jumlah: {angka(len(rows))} penerima, {angka(head['paket_gb'])} GB", bold=True)
    doc.space(3)
    totals = [(p, angka(count), f"{angka(gb)} GB") for p, (count, gb) in sorted(per_provider.items())]
    doc.table(
        [Column("Penyedia", 215), Column("Penerima", 150, "right"), Column("Paket", 150, "right")],
        [*totals, ("Jumlah", angka(len(rows)), f"{angka(head['paket_gb'])} GB")],
        bold_rows=frozenset({len(totals)}),
    )
    doc.space(LEADING)
    _signature(doc, head["kepala_sekolah"], meterai(head["periode"]))
    return doc


def _signature(doc: Document, kepala: str, stamp: str) -> None:
    """Place and date, then the principal's signature over the duty stamp, the school's stamp
    beside it, and the principal's name (wrapped, never cut)."""
    x = MARGIN + WIDTH / 2
    name = wrap(kepala or "(nama kepala sekolah)", WIDTH / 2, bold=True)
    doc.keep(9 * LEADING + len(name) * LEADING)
    doc.text_at(x, 0, "......................................, ...............................")
    doc.text_at(x, LEADING, "Kepala Sekolah,")
    doc.box(x, 2 * LEADING + 4, 92, 52, stamp)
    doc.box(MARGIN + 60, 2 * LEADING + 4, 110, 64, "stempel sekolah", dash=True)
    for n, line in enumerate(name):
        doc.text_at(x, 8 * LEADING + n * LEADING, line, bold=True)
    doc.text_at(x, 8 * LEADING + len(name) * LEADING, "(tanda tangan dan stempel sekolah)", size=7.5)
    doc.space((9 + len(name)) * LEADING)


# Writer threads: S3 latency, not bandwidth, bounds a PUT, so several go at once.
WRITERS = 8
# SPTJMs written before the render processes start: a province with a handful (a re-run, a
# small one) renders them in its writer threads rather than wait for processes to start.
PROCESSES_AFTER = 16


def provinces(period: Period) -> list[str]:
    """The provinces whose SPTJM files are written by a task each (06_list_provinsi): every
    province of the cutoff's schools, and '' for SPTJMs of a school the cutoff does not hold."""
    with db.connect(period.dsn) as conn:
        return [p for (p,) in db.run(conn, "tahap/sptjm/06_list_provinsi", {"periode": period.periode})]


@lifecycle.while_open("writing SPTJMs")
@db.one_at_a_time("sptjm write")
def write_files(period: Period, workers: int = WRITERS) -> dict:
    """The CSV, the PDF and then the manifest of every SPTJM of the period not written yet,
    in one process."""
    return _write(period, None, workers)


@lifecycle.while_open("writing SPTJMs")
def write_province(period: Period, provinsi: str, workers: int = WRITERS) -> dict:
    """The SPTJMs of one province's schools ('': of schools the cutoff does not hold), so that
    workers share a national stage's rendering. Provinces run beside each other, one task per
    province at a time, never beside ``write_files``; each writes the bytes ``write_files``
    would."""
    if provinsi is None:
        raise ValueError("write_province: a province code, e.g. '31' ('' for SPTJMs of no cutoff school)")
    with (
        db.serialized(period.dsn, period.periode, "sptjm write", shared=True),
        db.serialized(period.dsn, period.periode, f"sptjm write {provinsi}"),
    ):
        return {"provinsi": provinsi, **_write(period, provinsi, workers)}


def _write(period: Period, provinsi: str | None, workers: int) -> dict:
    """Several SPTJMs at once (S3 latency, not bandwidth, bounds it); each sha256 is recorded
    once its files are in place. One SPTJM per worker in memory at a time (a server-side
    cursor, a bounded queue). Past PROCESSES_AFTER SPTJMs the PDFs render in processes beside
    the writer threads (_renderers); their CPU time is counted apart, so that the bench can
    show the writes, not the rendering, bound the step."""
    periode, storage, exchange_uri = period.periode, period.files(), period.exchange()
    where = "" if provinsi is None else f", province {provinsi}" if provinsi else ", schools not in the cutoff"
    written, rendering, started = 0, [0.0], 0
    progress = Progress(log, f"periode {periode}{where}: SPTJM written", unit="SPTJM")
    processes = _render_processes(workers)
    with db.connect(period.dsn) as conn, ThreadPoolExecutor(workers) as pool, contextlib.ExitStack() as stack:
        renderers, pending = None, []
        with conn.cursor(name="sptjm_isi") as cur:
            cur.itersize = 20_000
            cur.execute(db.sql("tahap/sptjm/02_list_sptjm_isi"), {"periode": periode, "provinsi": provinsi})
            keys = None
            for n, (sptjm_no, group) in enumerate(itertools.groupby(cur, key=lambda r: r[0])):
                if n == PROCESSES_AFTER and processes:
                    renderers, started = stack.enter_context(_renderers(processes)), processes
                group = list(group)
                keys = keys or [c.name for c in cur.description]
                head = dict(zip(keys, group[0], strict=True)) | {"periode": periode}
                rows = [r[9:15] for r in group]
                pending.append((sptjm_no, pool.submit(_write_one, storage, exchange_uri, head, rows, renderers)))
                if len(pending) >= 4 * workers:
                    done = _record(conn, pending, rendering)
                    written += done
                    progress.add(done)
        written += _record(conn, pending, rendering)
    log.info(
        "periode %s%s: %d SPTJM written to the portal (rendering them took %.1f s of CPU)",
        periode,
        where,
        written,
        rendering[0],
    )
    return {"periode": periode, "written": written, "render_seconds": rendering[0], "render_processes": started}


def _record(conn, pending: list, rendering: list[float]) -> int:
    """The sha256 of each SPTJM whose files are written (a failed write re-raises here)."""
    for sptjm_no, future in pending:
        sha256, seconds = future.result()
        db.run(conn, "tahap/sptjm/03_record_sptjm_ditulis", {"sptjm_no": sptjm_no, "sha256": sha256})
        rendering[0] += seconds
    done = len(pending)
    pending.clear()
    return done


def _render_processes(workers: int) -> int:
    """Processes that render the PDFs: ReportLab's layout holds the GIL, so in the writer
    threads alone the rendering, not S3, would bound the step. None on one core, or where a
    process may not start children (a daemonic one): the writer threads render then, one
    document at a time (ReportLab's fonts are the process's: kuota.infra.pdf._REPORTLAB)."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 or multiprocessing.current_process().daemon else min(workers, cores)


def _renderers(processes: int):
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))


def _render_timed(head: dict, rows: list[tuple]) -> tuple[bytes, float, set[str]]:
    """The PDF, its rendering's CPU seconds and the characters it could not draw (reported
    by the caller, whose log is the task's)."""
    started = time.thread_time()
    doc = layout_pdf(head, rows)
    pdf = doc.to_bytes()
    return pdf, time.thread_time() - started, doc.missing


def _write_one(
    storage: Storage, exchange_uri: str, head: dict, rows: list[tuple], renderers: ProcessPoolExecutor | None = None
) -> tuple[str, float]:
    data = _csv(rows)
    if renderers is None:
        pdf, rendering, missing = _render_timed(head, rows)
    else:
        pdf, rendering, missing = renderers.submit(_render_timed, head, rows).result()
    report_missing(f"SPTJM {head['sptjm_no']}", missing)
    uri = sptjm_uri(exchange_uri, head["periode"], head["npsn"], head["sptjm_no"])
    pdf_uri = sptjm_uri(exchange_uri, head["periode"], head["npsn"], head["sptjm_no"], "pdf")
    manifest = file_manifest(
        f"{head['sptjm_no']}.csv",
        data,
        len(rows),
        head["dibuat_at"],
        periode=head["periode"],
        npsn=head["npsn"],
        sptjm_no=head["sptjm_no"],
        tahap=head["tahap"],
        paket_gb=int(head["paket_gb"]),
        pdf={"file": f"{head['sptjm_no']}.pdf", "sha256": _sha256(pdf)},
    )
    storage.write_bytes(uri, data)
    storage.write_bytes(pdf_uri, pdf)
    storage.write_bytes(manifest_uri(uri), manifest)  # last
    return _sha256(data), rendering


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest_decisions(period: Period) -> dict:
    """The principals' decisions waiting in the portal (persetujuan/)."""
    return portal.ingest(period, "persetujuan")


def undecided(period: Period) -> int:
    """SPTJMs of the period awaiting a decision (the run summary's count)."""
    with db.connect(period.dsn) as conn:
        ((_, _, _, waiting, _),) = db.run(conn, "summary/05_count_sptjm", {"periode": period.periode})
    return waiting


@lifecycle.while_open("taking SPTJM decisions")
def collect_decisions(period: Period) -> dict:
    """The decisions in the portal now, and how many SPTJMs still wait for one."""
    return {**ingest_decisions(period), "undecided": undecided(period)}
