"""The period export (exchange.md §4) and the providers' handover reports (BAST).

``status_penerima.csv.gz``: one row per cutoff record with its state, reason, SPTJM and
package, streamed out of the warehouse with COPY into a gzip file on disk, then uploaded (memory
stays flat at national scale); ``rekap.csv``: its counts. Each with a manifest whose
created_at is the period's last change, so an export of an unchanged period is byte-identical.
``bast/<provider>.csv`` and ``.pdf``: per provider, packages and GB successfully injected (what
it is paid for) and what it is not paid for.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
import tempfile

from .. import periode as lifecycle
from ..infra import db
from ..infra.pdf import LEADING, LETTERHEAD, MARGIN, WIDTH, Column, Document, angka, meterai
from ..infra.storage import Storage
from ..partners.layout import bast_uri, export_folder, export_uri
from ..partners.manifest import file_manifest, manifest_for, manifest_uri, sha256_file
from ..periode import Period

log = logging.getLogger(__name__)

STATUS_COLUMNS = ("jenis", "id", "npsn", "msisdn", "provider", "status", "alasan", "sptjm_no", "paket_gb")
REKAP_COLUMNS = ("kode_provinsi", "npsn", "provider", "status", "alasan", "jumlah")
BAST_COLUMNS = ("provider", "paket_gb", "diminta", "berhasil", "gb_berhasil", "gagal", "tanpa_respons", "menunggu")


def _stamp(dsn: str, periode: str) -> tuple[str, bool]:
    with db.connect(dsn) as conn:
        ((created_at, settled),) = db.run(conn, "tahap/ekspor/01_stamp_ekspor", {"periode": periode})
    return created_at, settled


def _put(storage: Storage, uri: str, data: bytes, rows: int, created_at: str, **fields) -> None:
    """Data then manifest, skipped when the same bytes are in place."""
    manifest = file_manifest(uri.rsplit("/", 1)[1], data, rows, created_at, **fields)
    if storage.exists(manifest_uri(uri)) and storage.read_bytes(manifest_uri(uri)) == manifest:
        return
    storage.write_bytes(uri, data)
    storage.write_bytes(manifest_uri(uri), manifest)


@lifecycle.while_open("the period export")
@db.one_at_a_time("export")
def write_export(period: Period, final: bool) -> dict:
    """status_penerima.csv.gz and rekap.csv of the period, each with its manifest."""
    dsn, storage, output_uri, periode = period.dsn, period.files(), period.output(), period.periode
    created_at, settled = _stamp(dsn, periode)
    folder = export_folder(output_uri, periode)
    fields = {"periode": periode, "final": bool(final and settled)}
    with tempfile.NamedTemporaryFile(suffix=".csv.gz") as tmp:
        with gzip.GzipFile(filename="", fileobj=tmp, mode="wb", compresslevel=6, mtime=0) as gz:
            gz.write((",".join(STATUS_COLUMNS) + "\n").encode())
            counter = _LineCounter(gz)
            with db.connect(dsn) as conn:
                db.copy_out(conn, "tahap/ekspor/02_write_status_penerima", {"periode": periode}, counter)
        tmp.flush()
        sha = sha256_file(tmp.name)
        uri = export_uri(output_uri, periode, "status_penerima.csv.gz")
        manifest = manifest_for("status_penerima.csv.gz", sha, counter.lines, created_at, **fields)
        if not (storage.exists(manifest_uri(uri)) and storage.read_bytes(manifest_uri(uri)) == manifest):
            storage.upload_file(tmp.name, uri)
            storage.write_bytes(manifest_uri(uri), manifest)
    rekap = io.BytesIO()
    rekap.write((",".join(REKAP_COLUMNS) + "\n").encode())
    with db.connect(dsn) as conn:
        db.copy_out(conn, "tahap/ekspor/03_count_rekap", {"periode": periode}, rekap)
    data = rekap.getvalue()
    _put(storage, export_uri(output_uri, periode, "rekap.csv"), data, data.count(b"\n") - 1, created_at, **fields)
    log.info(
        "periode %s exported: %d records, %d rekap rows (final: %s) -> %s",
        periode,
        counter.lines,
        data.count(b"\n") - 1,
        fields["final"],
        folder,
    )
    return {"periode": periode, "records": counter.lines, "rekap_rows": data.count(b"\n") - 1, **fields}


class _LineCounter:
    """A file-like sink for COPY that counts lines as they pass (each COPY row is one line:
    no field of the export can hold a newline)."""

    def __init__(self, out):
        self.out, self.lines = out, 0

    def write(self, data) -> int:
        data = data.encode() if isinstance(data, str) else data
        self.lines += data.count(b"\n")
        return self.out.write(data)


def bast(period: Period) -> list[dict]:
    """Per provider and package size: requested, paid (berhasil), failed, unanswered, waiting."""
    with db.connect(period.dsn) as conn:
        rows = db.run(conn, "tahap/ekspor/04_count_bast", {"periode": period.periode})
    return [dict(zip((*BAST_COLUMNS, "anomali"), r, strict=True)) for r in rows]


BAST_TABLE = [
    Column("Paket", 55, "right"),
    Column("Diminta", 76, "right"),
    Column("Berhasil (dibayar)", 80, "right"),
    Column("GB berhasil", 84, "right"),
    Column("Gagal", 70, "right"),
    Column("Tanpa respons", 80, "right"),
    Column("Menunggu", 70, "right"),
]


def render_bast_pdf(periode: str, provider: str, rows: list[dict], created_at: str) -> bytes:
    """The handover report a provider signs to be paid: per package size, requested, paid
    (berhasil), failed and unanswered, then both parties' signature blocks."""
    doc = Document(
        (*LETTERHEAD, f"periode {periode}"),
        f"BAST {periode} · {provider}",
        f"BAST {periode} {provider}",
    )
    doc.heading("BERITA ACARA SERAH TERIMA (BAST)", f"Bantuan Kuota Data Internet, periode {periode}")
    doc.fields(
        [
            ("Pihak pertama", "Pusat Data dan Teknologi Informasi, Kementerian Pendidikan dan Kebudayaan"),
            ("Pihak kedua (penyedia)", provider),
            ("Dasar perhitungan", f"jawaban injeksi yang dimuat, per {created_at}"),
        ]
    )
    doc.space()
    total = {k: sum(r[k] for r in rows) for k in BAST_COLUMNS[2:]}
    doc.table(
        BAST_TABLE,
        [
            *(
                (
                    f"{r['paket_gb']} GB",
                    *(
                        angka(r[k])
                        for k in ("diminta", "berhasil", "gb_berhasil", "gagal", "tanpa_respons", "menunggu")
                    ),
                )
                for r in rows
            ),
            (
                "Jumlah",
                *(
                    angka(total[k])
                    for k in ("diminta", "berhasil", "gb_berhasil", "gagal", "tanpa_respons", "menunggu")
                ),
            ),
        ],
        bold_rows=frozenset({len(rows)}),
    )
    doc.space()
    doc.paragraph(
        f"Dibayar: {angka(total['berhasil'])} paket, {angka(total['gb_berhasil'])} GB (hanya injeksi berhasil).",
        bold=True,
    )
    doc.paragraph(
        f"Tidak dibayar: {angka(total['gagal'])} gagal, {angka(total['tanpa_respons'])} tanpa respons, "
        f"{angka(total['menunggu'])} menunggu."
    )
    doc.paragraph(
        "Anomali penyedia (berhasil dilaporkan ulang, jawaban diubah; tidak dihitung dua kali): "
        f"{angka(rows[0]['anomali'] if rows else 0)}"
    )
    doc.space(LEADING)
    doc.keep(10 * LEADING)
    doc.paragraph("Jakarta, ...............................")
    doc.space(4)
    right = MARGIN + WIDTH / 2 + 10
    doc.text_at(MARGIN, 0, "Pihak pertama,", bold=True)
    doc.text_at(MARGIN, LEADING, "Pusdatin Kemendikbud")
    doc.text_at(right, 0, "Pihak kedua,", bold=True)
    doc.text_at(right, LEADING, f"Penyedia: {provider}")
    doc.box(MARGIN, 2 * LEADING + 4, 200, 56, "tanda tangan")
    doc.box(right, 2 * LEADING + 4, 200, 56, f"tanda tangan dan {meterai(periode)}")
    doc.text_at(MARGIN, 8 * LEADING, "(nama dan NIP)")
    doc.text_at(right, 8 * LEADING, "(nama dan jabatan)")
    doc.space(9 * LEADING)
    return doc.render()


@lifecycle.while_open("the BAST")
@db.one_at_a_time("bast")
def write_bast(period: Period) -> dict:
    """bast/<provider>.csv (+ manifest) and bast/<provider>.pdf for every provider injected."""
    storage, output_uri, periode = period.files(), period.output(), period.periode
    created_at, _ = _stamp(period.dsn, periode)
    rows = bast(period)
    totals = {}
    for provider in sorted({r["provider"] for r in rows}):
        mine = [r for r in rows if r["provider"] == provider]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(BAST_COLUMNS)
        writer.writerows([r[c] for c in BAST_COLUMNS] for r in mine)
        uri, pdf_uri = bast_uri(output_uri, periode, provider), bast_uri(output_uri, periode, provider, "pdf")
        pdf = render_bast_pdf(periode, provider, mine, created_at)
        if not storage.exists(pdf_uri) or storage.read_bytes(pdf_uri) != pdf:
            storage.write_bytes(pdf_uri, pdf)
        _put(
            storage,
            uri,
            out.getvalue().encode(),
            len(mine),
            created_at,
            periode=periode,
            provider=provider,
            pdf={"file": f"{provider}.pdf", "sha256": hashlib.sha256(pdf).hexdigest()},
        )
        totals[provider] = {
            "paket": sum(r["berhasil"] for r in mine),
            "gb": sum(r["gb_berhasil"] for r in mine),
            "gagal": sum(r["gagal"] for r in mine),
            "tanpa_respons": sum(r["tanpa_respons"] for r in mine),
        }
    log.info("periode %s BAST: %s", periode, totals)
    return {"periode": periode, "providers": totals}


def export_period(period: Period, alasan_tutup: str | None = None) -> dict:
    """A stage's export and BAST. The export is final only when this run may close the period
    (its closing step comes next), so a final export never leaves records waiting."""
    closing = lifecycle.may_close(lifecycle.state(period.dsn, period.periode), alasan_tutup)
    exported = write_export(period, final=closing)
    return {**exported, "bast": write_bast(period)}
