"""Helpers shared by tests: reading generated files and labels back, building the periods the
shared fixtures start from (conftest.py), writing portal files as a school would."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import subprocess

from kuota.bulanan import screening, snapshot
from kuota.infra import db
from kuota.infra.storage import Storage, join
from kuota.partners import exchange
from kuota.partners.manifest import file_manifest, now_iso
from kuota.periode import Period
from kuota.tahap import sptjm, validasi
from kuota_tools import generator
from kuota_tools.simulator import ProviderSimulator

PERIODE = "2020-09"


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    """What poppler's pdftotext reads in a PDF, in content order (-raw), its runs of blanks
    and line ends as one space: a name wrapped over two lines of its cell reads as written."""
    assert shutil.which("pdftotext"), "pdftotext is missing: install Debian's poppler-utils (make venv does, as root)"
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", "-raw", *pages, "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", " ", out.decode())


def read_csv(storage: Storage, uri: str) -> list[list[str]]:
    data = storage.read_bytes(uri)
    if uri.endswith(".gz"):
        data = gzip.decompress(data)
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def labels(storage: Storage, cutoff_uri: str) -> dict[str, set[str]]:
    """label -> ids planted with it."""
    out: dict[str, set[str]] = {}
    for _jenis, rid, label, _partner, _varian in read_csv(storage, join(cutoff_uri, "labels.csv.gz"))[1:]:
        out.setdefault(label, set()).add(rid)
    return out


def rewrite_manifest(storage: Storage, cutoff_uri: str, edit) -> None:
    uri = join(cutoff_uri, "manifest.json")
    manifest = json.loads(storage.read_bytes(uri))
    edit(manifest)
    storage.write_bytes(uri, json.dumps(manifest).encode())


def screened_period(dsn: str, storage: Storage, bucket: str, students: int, seed: int, periode: str = PERIODE) -> str:
    """A period loaded and screened, its residu at the schools; returns its exchange root."""
    cutoff, ex = f"s3://{bucket}/dapodik/cutoff", f"s3://{bucket}/exchange"
    generator.generate(cutoff, generator.Scale.for_students(students), seed=seed, storage=storage)
    snapshot.run_snapshot(dsn, periode, cutoff, storage)
    screening.run_screening(Period(dsn, periode, storage, exchange_uri=ex))
    return ex


def validated_period(
    dsn: str, storage: Storage, bucket: str, periode: str, students: int, seed: int, batch_rows: int = 500
) -> str:
    """A period screened and validated by the provider simulator; returns its exchange root."""
    ex = screened_period(dsn, storage, bucket, students, seed, periode)
    period = Period(dsn, periode, storage, exchange_uri=ex)
    for provider in validasi.EXCHANGE.providers(period):
        for batch in validasi.EXCHANGE.plan(period, provider, batch_rows):
            exchange.send_batch(period, batch["batch_id"])
    ProviderSimulator(storage, ex, periode).step()
    for batch in validasi.EXCHANGE.batches(period):
        exchange.ingest_answer(period, batch["batch_id"])
    return ex


def portal_file(storage, ex, kind, name, header, rows, manifest_rows=None, periode=PERIODE, **manifest_fields) -> None:
    """A file of the verification portal (exchange.md §3) with its manifest, as a school sends it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode()
    folder = f"{ex}/portal/{periode}/{kind}"
    storage.write_bytes(f"{folder}/{name}.csv", data)
    storage.write_bytes(
        f"{folder}/{name}.manifest.json",
        file_manifest(
            f"{name}.csv", data, len(rows) if manifest_rows is None else manifest_rows, now_iso(), **manifest_fields
        ),
    )


def decide(storage, ex, name, decisions: dict[str, str]) -> None:
    """The principals' decisions on SPTJMs (sptjm_no -> keputusan), in one portal file."""
    rows = [(no, no.split("-")[3], k, "2020-09-20T10:00:00+07:00") for no, k in sorted(decisions.items())]
    portal_file(storage, ex, "persetujuan", name, ("sptjm_no", "npsn", "keputusan", "waktu"), rows)


def sptjm_numbers(dsn) -> list[str]:
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT sptjm_no FROM kuota.sptjm ORDER BY 1")
        return [n for (n,) in cur.fetchall()]


def approve_all_but_first(dsn, storage, ex, periode: str = PERIODE) -> None:
    """SPTJMs of stage 1 issued and written; all approved but the first, rejected."""
    period = Period(dsn, periode, storage, exchange_uri=ex, tahap=1)
    sptjm.issue(period)
    sptjm.write_files(period)
    numbers = sptjm_numbers(dsn)
    decide(storage, ex, "keputusan-1", {no: "ditolak" if i == 0 else "disetujui" for i, no in enumerate(numbers)})
    result = sptjm.ingest_decisions(period)
    assert result["loaded"] == 1 and not result["quarantined"], result
