"""SPTJM (domain.md flow 7, K5; exchange.md §3): issued per school for its valid records,
written to the portal as CSV and a printable PDF, decided by the school's principal.

Issuing locks the listed records' numbers for the period (kuota.sptjm_penerima; the database
refuses a change). The files are a function of the warehouse (the PDF has no clock in it), so
a retry rewrites the same bytes; an SPTJM counts as written once its sha256 is recorded, after
its files and manifest are in place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from .. import periode as lifecycle
from ..infra import db
from ..infra.pdf import Document
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


def render_pdf(head: dict, rows: list[tuple]) -> bytes:
    """The printable SPTJM: the statement, the listed recipients, totals, signature and stamp."""
    doc = Document()
    doc.text("SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK (SPTJM)", bold=True)
    doc.text("Bantuan Kuota Data Internet - periode " + head["periode"], bold=True)
    doc.text(f"Nomor: {head['sptjm_no']}  (tahap {head['tahap']}, diterbitkan {head['dibuat_at']})")
    doc.text()
    doc.text("Yang bertanda tangan di bawah ini:")
    doc.text(f"  Nama kepala sekolah : {head['kepala_sekolah'] or '-'}")
    doc.text(f"  Satuan pendidikan   : {head['nama_sekolah'] or '-'}")
    doc.text(f"  NPSN                : {head['npsn']}")
    doc.text()
    for line in (
        "menyatakan dengan sesungguhnya bahwa nomor ponsel penerima bantuan kuota data internet",
        "yang tercantum di bawah ini adalah benar dan dapat dipertanggungjawabkan. Apabila di",
        "kemudian hari terdapat kekeliruan, saya bertanggung jawab penuh sesuai ketentuan.",
    ):
        doc.text(line)
    doc.text()
    header = f"{'no':>4}  {'jenis':<5} {'nama':<30} {'nomor ponsel':<15} {'provider':<10} {'paket':>6}"
    doc.text(header, bold=True)
    for number, (jenis, _id, nama, msisdn, provider, paket) in enumerate(rows, 1):
        if doc.line == 0:
            doc.text(header, bold=True)
        doc.text(f"{number:>4}  {jenis:<5} {nama[:30]:<30} {msisdn:<15} {provider:<10} {paket:>3} GB")
    doc.text()
    per_provider = {}
    for _, _, _, _, provider, paket in rows:
        count, gb = per_provider.get(provider, (0, 0))
        per_provider[provider] = (count + 1, gb + int(paket))
    doc.keep(len(per_provider) + 2)
    doc.text(f"Jumlah: {len(rows)} penerima, {head['paket_gb']} GB", bold=True)
    for provider, (count, gb) in sorted(per_provider.items()):
        doc.text(f"  {provider:<10} {count:>6} penerima {gb:>9} GB")
    doc.text()
    doc.keep(12)
    doc.text(f"{'':<44}......................, ....................")
    doc.text(f"{'':<44}Kepala Sekolah,")
    doc.box(44, 16, 5, "meterai")
    doc.line += 6
    doc.text(f"{'':<44}{head['kepala_sekolah'] or '(nama)'}")
    doc.text(f"{'':<44}(tanda tangan dan stempel sekolah)")
    return doc.to_bytes()


@lifecycle.while_open("writing SPTJMs")
@db.one_at_a_time("sptjm write")
def write_files(period: Period, workers: int = 8) -> dict:
    """The CSV, the PDF and then the manifest of every SPTJM not written yet, several at once
    (S3 latency, not bandwidth, bounds it); each sha256 is recorded once its files are in
    place. One SPTJM per worker in memory at a time (a server-side cursor, a bounded queue)."""
    periode, storage, exchange_uri = period.periode, period.files(), period.exchange()
    written = 0
    progress = Progress(log, f"periode {periode}: SPTJM written", unit="SPTJM")
    with db.connect(period.dsn) as conn, ThreadPoolExecutor(workers) as pool:
        pending: list[tuple[str, Future]] = []
        with conn.cursor(name="sptjm_isi") as cur:
            cur.itersize = 20_000
            cur.execute(db.sql("tahap/sptjm/02_list_sptjm_isi"), {"periode": periode})
            keys = None
            for sptjm_no, group in itertools.groupby(cur, key=lambda r: r[0]):
                group = list(group)
                keys = keys or [c.name for c in cur.description]
                head = dict(zip(keys, group[0], strict=True)) | {"periode": periode}
                pending.append(
                    (sptjm_no, pool.submit(_write_one, storage, exchange_uri, head, [r[9:15] for r in group]))
                )
                if len(pending) >= 4 * workers:
                    n = _record(conn, pending)
                    written += n
                    progress.add(n)
        written += _record(conn, pending)
    log.info("periode %s: %d SPTJM written to the portal", periode, written)
    return {"periode": periode, "written": written}


def _record(conn, pending: list) -> int:
    """The sha256 of each SPTJM whose files are written (a failed write re-raises here)."""
    for sptjm_no, future in pending:
        db.run(conn, "tahap/sptjm/03_record_sptjm_ditulis", {"sptjm_no": sptjm_no, "sha256": future.result()})
    done = len(pending)
    pending.clear()
    return done


def _write_one(storage: Storage, exchange_uri: str, head: dict, rows: list[tuple]) -> str:
    data = _csv(rows)
    pdf = render_pdf(head, rows)
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
    return _sha256(data)


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
