"""Helpers shared by tests: reading generated files and labels back."""
from __future__ import annotations

import csv
import gzip
import io
import json

from kuota.storage import Storage, join


def read_csv(storage: Storage, uri: str) -> list[list[str]]:
    data = storage.read_bytes(uri)
    if uri.endswith(".gz"):
        data = gzip.decompress(data)
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def labels(storage: Storage, cutoff_uri: str) -> dict[str, set[str]]:
    """label -> ids planted with it."""
    out: dict[str, set[str]] = {}
    for jenis, rid, label, _partner in read_csv(storage, join(cutoff_uri, "labels.csv.gz"))[1:]:
        out.setdefault(label, set()).add(rid)
    return out


def rewrite_manifest(storage: Storage, cutoff_uri: str, edit) -> None:
    uri = join(cutoff_uri, "manifest.json")
    manifest = json.loads(storage.read_bytes(uri))
    edit(manifest)
    storage.write_bytes(uri, json.dumps(manifest).encode())
