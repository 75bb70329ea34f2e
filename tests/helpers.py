"""Helpers shared by tests: reading generated files and labels back."""

from __future__ import annotations

import csv
import gzip
import io
import json

from kuota.bulanan import screening, snapshot
from kuota.infra.storage import Storage, join
from kuota.partners import exchange
from kuota_tools import generator
from kuota_tools.simulator import ProviderSimulator


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


def validated_period(
    dsn: str, storage: Storage, bucket: str, periode: str, students: int, seed: int, batch_rows: int = 500
) -> str:
    """A period screened and validated by the provider simulator; returns its exchange root."""
    cutoff, ex = f"s3://{bucket}/dapodik/cutoff", f"s3://{bucket}/exchange"
    generator.generate(cutoff, generator.Scale.for_students(students), seed=seed, storage=storage)
    snapshot.run_snapshot(dsn, periode, cutoff, storage)
    screening.run_screening(dsn, periode, ex, storage)
    for provider in exchange.providers_to(dsn, periode, "validasi"):
        for batch in exchange.plan(dsn, periode, provider, "validasi", batch_rows):
            exchange.send_batch(dsn, storage, ex, batch["batch_id"])
    ProviderSimulator(storage, ex, periode).step()
    for batch in exchange.batches_of(dsn, periode):
        exchange.ingest_answer(dsn, storage, ex, batch["batch_id"])
    return ex
