"""Reading a partner's file (a provider's answer, a school's portal file) under the contract's
rules: its manifest first, then its bytes, then its rows in PostgreSQL. A file that breaks a
rule raises Rejected with the rule and the line; the caller quarantines it whole.
"""
from __future__ import annotations

import gzip
import io
import json
import re

import psycopg2

from .contract import SCHEMA_VERSION
from .storage import Storage

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Rejected(Exception):
    """A partner's file breaks the contract; the message names the rule and the rows."""


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


def _copy_error(err: psycopg2.Error) -> str:
    """PostgreSQL's COPY error, its line number made the file's (the header is line 1)."""
    text = (err.pgerror or str(err)).strip().replace("\n", " ")
    return re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + 1}", text)


def load_csv(cur, tmp, table: str, columns: tuple[str, ...], gzipped: bool, extra: tuple[str, ...] = ()) -> int:
    """COPY a CSV file (a local temp file) into a new temp table; baris is the line in the file.
    ``extra`` columns exist in the table (NULL) so one check can read files of several layouts."""
    cur.execute(f"""CREATE TEMP TABLE {table} (baris bigint GENERATED ALWAYS AS IDENTITY (START 2),
                    {", ".join(f"{c} text" for c in columns + extra)}) ON COMMIT DROP""")
    tmp.seek(0)
    try:
        raw = gzip.GzipFile(fileobj=tmp, mode="rb") if gzipped else tmp
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        header = text.readline()
        if header.rstrip("\n") != ",".join(columns):
            raise Rejected(f"line 1: header is {header.rstrip()!r}, expected {','.join(columns)!r}")
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", text, size=1 << 20)
    except (OSError, EOFError, UnicodeDecodeError) as err:  # gzip.BadGzipFile is an OSError
        raise Rejected(f"the file cannot be read as {'gzip’d ' if gzipped else ''}UTF-8 CSV ({err})") from None
    except psycopg2.DataError as err:
        raise Rejected(f"the file is not CSV of {len(columns)} columns: {_copy_error(err)}") from None
    cur.execute(f"ANALYZE {table}")  # the checks join it with the warehouse: plan on real counts
    cur.execute(f"SELECT count(*) FROM {table}")
    return cur.fetchone()[0]


def offending(found: list[tuple], names: tuple[str, ...]) -> str:
    """'N rows break the contract, first: line L (name 'value', ...): rule; ...' from a
    check's rows (baris, the named values..., rule, count)."""
    shown = "; ".join(f"line {row[0]} (" + ", ".join(f"{n} {v!r}" for n, v in zip(names, row[1:-2]))
                      + f"): {row[-2]}" for row in found)
    return f"{found[0][-1]} rows break the contract, first: {shown}"


def move_to_quarantine(storage: Storage, sources: list[tuple[str, str]], target: str, message: str,
                       record=None) -> None:
    """Copy the files (uri, suffix) to ``target + suffix`` with an error file beside them,
    ``record()`` it, then delete the originals, manifest first (the file is incomplete from
    then on): a retry after a crash redoes it."""
    storage.write_bytes(f"{target}.error.txt", (message + "\n").encode())
    for src, suffix in sources:
        if storage.exists(src):
            storage.copy(src, target + suffix)
    if record:
        record()
    for src, suffix in sorted(sources, key=lambda s: not s[1].endswith("manifest.json")):
        storage.delete(src)
