"""Manifests: a data file is complete only when its manifest exists and agrees with it.

The one place a manifest is checked, the cutoff's (§1) and a partner file's (§2-3) alike;
what breaks one is a ContractError (Rejected: a partner file the caller quarantines whole)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re

from ..infra.errors import ContractError, Rejected
from .contract import CUTOFF_TABLES, SCHEMA_VERSION, cutoff_file_name

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


class HashingReader(io.RawIOBase):
    """Wraps a binary stream; hashes and counts the bytes as they are consumed.

    A raw stream of the io hierarchy (``readinto``, ``readable``, ``closed``...), so that
    ``io.BufferedReader`` and, through it, ``io.TextIOWrapper`` read a plain ``.csv`` through
    it as they read a gzip stream. Closing it closes the stream it wraps, as io's wrappers do.
    """

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int | None = -1) -> bytes:
        data = self.raw.read() if n is None or n < 0 else self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            try:
                close = getattr(self.raw, "close", None)
                if close:
                    close()
            finally:
                super().close()

    def hexdigest(self) -> str:
        return self.sha.hexdigest()

    def drain(self) -> None:
        """Read what is left, so the digest covers the whole file."""
        while self.read(1 << 20):
            pass


def sha256_file(path, chunk: int = 1 << 20) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            sha.update(block)
    return sha.hexdigest()


def parse_cutoff_manifest(raw: bytes, where: str, present: list[str]) -> dict:
    """Check the cutoff manifest (§1) and return {table: {file, rows, sha256}} plus its date.

    ``present`` lists the file names stored beside it; a listed file that is absent, a table
    without a file, or an entry that is not one of the three tables' files is an error that
    names the file.
    """
    try:
        manifest = json.loads(raw)
    except ValueError as err:
        raise ContractError(f"{where}: manifest.json is not valid JSON ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("schema_version") != SCHEMA_VERSION:
        raise ContractError(f"{where}: manifest.json schema_version must be {SCHEMA_VERSION}")
    try:
        cutoff_date = dt.date.fromisoformat(str(manifest.get("cutoff_date")))
    except ValueError:
        raise ContractError(
            f"{where}: manifest.json cutoff_date {manifest.get('cutoff_date')!r} is not YYYY-MM-DD"
        ) from None
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ContractError(f"{where}: manifest.json has no 'files' object")
    tables = {}
    for table in CUTOFF_TABLES:
        name = cutoff_file_name(table, list(files))
        if name is None:
            raise ContractError(f"{where}: manifest.json lists no {table}.csv or {table}.csv.gz")
        entry = files[name]
        rows, sha = (entry or {}).get("rows"), str((entry or {}).get("sha256", ""))
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0 or not _SHA256.match(sha):
            raise ContractError(f"{where}/{name}: manifest entry needs integer 'rows' and hex 'sha256', got {entry!r}")
        if name not in present:
            raise ContractError(f"{where}/{name}: listed in manifest.json but not stored")
        tables[table] = {"file": name, "rows": rows, "sha256": sha}
    # Anything else listed would never be loaded nor checked: a file the export was meant to
    # carry, or a table listed twice (plain and gzip), must not pass unnoticed.
    extra = sorted(set(files) - {entry["file"] for entry in tables.values()})
    if extra:
        raise ContractError(
            f"{where}: manifest.json lists {', '.join(repr(name) for name in extra)}, not a file of the cutoff "
            f"export (exchange.md §1: sekolah, peserta_didik and ptk, each once, .csv or .csv.gz); "
            f"nothing loaded: the export must list only those three files"
        )
    return {"cutoff_date": cutoff_date.isoformat(), "tables": tables}


def check_manifest(raw: bytes, expected: dict, what: str = "manifest") -> dict:
    """The manifest's JSON, its expected fields, a row count and a sha256."""
    try:
        manifest = json.loads(raw)
    except ValueError as err:
        raise Rejected(f"the {what} is not valid JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise Rejected(f"the {what} is not a JSON object")
    expected = {"schema_version": SCHEMA_VERSION, **expected}
    wrong = [f"{k} is {manifest.get(k)!r}, expected {v!r}" for k, v in expected.items() if manifest.get(k) != v]
    rows = manifest.get("rows")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        wrong.append(f"rows is {rows!r}, expected a count")
    if not _SHA256.match(str(manifest.get("sha256", ""))):
        wrong.append(f"sha256 is {manifest.get('sha256')!r}, expected 64 hex digits")
    if wrong:
        raise Rejected(f"the {what} " + "; ".join(wrong))
    return manifest


def manifest_name(file_name: str) -> str:
    """``X.csv`` or ``X.csv.gz`` -> ``X.manifest.json`` (exchange.md, Conventions)."""
    return re.sub(r"\.csv(\.gz)?$", "", file_name) + ".manifest.json"


def manifest_uri(data_uri: str) -> str:
    """Where the manifest of the data file at ``data_uri`` lives: beside it."""
    folder, _, name = data_uri.rpartition("/")
    return f"{folder}/{manifest_name(name)}"


def file_manifest(file_name: str, data: bytes, rows: int, created_at: str, **fields) -> bytes:
    """The manifest of one data file of §2-§4, with the fields its file adds."""
    return manifest_for(file_name, hashlib.sha256(data).hexdigest(), rows, created_at, **fields)


def manifest_for(file_name: str, sha256: str, rows: int, created_at: str, **fields) -> bytes:
    """The same, for a file hashed as it was written (too big to hold in memory)."""
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "file": file_name,
            "rows": rows,
            "sha256": sha256,
            "created_at": created_at,
            **fields,
        },
        indent=2,
    ).encode()
