"""The loader's fast path (kuota.bulanan.lines: the file's lines into PostgreSQL's CSV parser)
against its careful path (Python's csv module, row by row) on the same bytes: whatever a
partner file holds, both stage the same rows with the same lines and field counts, or fail
with the same error. Each case is a PTK file of a small generated cutoff, changed as a
partner's export might be; the careful path's outcome is the reference."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging

import pytest
from conftest import query
from helpers import rewrite_manifest

from kuota.bulanan import lines, snapshot
from kuota.infra.errors import ContractError
from kuota.infra.storage import join
from kuota_tools import generator

NAME = "ptk.csv.gz"


def _quoted(row: list[str], quoting=csv.QUOTE_MINIMAL) -> bytes:
    """The row as CSV quotes it (a field holding a line end is quoted too), without its end."""
    out = io.StringIO()
    csv.writer(out, quoting=quoting, lineterminator="\r\n").writerow(row)
    return out.getvalue().removesuffix("\r\n").encode()


def _set(n: int, value: bytes):
    """Line ``n`` (header = 1) replaced."""

    def change(data: list[bytes]) -> list[bytes]:
        data[n - 1] = value
        return data

    return change


def _field(n: int, column: int, value: str):
    """Field ``column`` of line ``n`` set to ``value``, the line written back as CSV quotes it."""

    def change(data: list[bytes]) -> list[bytes]:
        row = next(csv.reader([data[n - 1].decode()]))
        row[column] = value
        data[n - 1] = _quoted(row)
        return data

    return change


def _raw_field(n: int, column: int, value: bytes):
    """Field ``column`` of line ``n`` replaced by these bytes as they are (no quoting)."""

    def change(data: list[bytes]) -> list[bytes]:
        fields = data[n - 1].split(b",")
        fields[column] = value
        data[n - 1] = b",".join(fields)
        return data

    return change


# name -> the change to the file's lines (a list of bytes, header first, no line ends), or to its
# bytes when the change is about line ends.
CASES = {
    "as generated": lambda d: d,
    "names with a comma and quotes, quoted": _field(2, 3, 'Raden "Ajeng" Kartini, S.Pd.'),
    "a quote inside an unquoted field": _raw_field(3, 3, b'Ni Luh "Ayu'),
    "quoted text then more text": _raw_field(4, 3, b'"Siti"Aminah'),
    "an empty line": _set(5, b""),
    "a line of spaces": _set(5, b"   "),
    "too few fields": lambda d: _set(6, b",".join(d[5].split(b",")[:3]))(d),
    "too many fields": lambda d: _set(6, d[5] + b",x,y,z")(d),
    "too many fields, quoted": lambda d: _set(6, d[5] + b',"a, b",""')(d),
    "a line holding only \\.": _set(7, b"\\."),
    "a NUL byte": _raw_field(8, 3, b"Bu\x00di"),
    "a byte that is not UTF-8": _raw_field(8, 3, b"Bu\xe9di"),
    "UTF-8 names": _raw_field(8, 3, "Zulaikhā Ṣāliḥ Nguyễn 陳".encode()),
    "UTF-8 names, quoted": _field(8, 3, "Ṣāliḥ, S.Ag. 陳"),
    "a quoted field over two lines": _field(9, 3, "Dewi\nLestari"),
    "a quoted carriage return": _field(9, 3, "Dewi\rLestari"),
    "a carriage return inside a field": _raw_field(9, 3, b"Dewi\rLestari"),
    "a field longer than the csv module takes": _raw_field(10, 3, b"a" * 140_000),
    "a header in quotes": lambda d: [_quoted(d[0].decode().split(","), csv.QUOTE_ALL), *d[1:]],
    "a byte order mark": lambda d: [b"\xef\xbb\xbf" + d[0], *d[1:]],
    "an empty quoted field and an empty one": _raw_field(11, 3, b'""'),
    "a backslash and a tab": _raw_field(12, 3, b"Budi\\N\tSantoso"),
}
ENDINGS = {
    "lines ended CRLF": lambda b: b.replace(b"\n", b"\r\n"),
    "no newline at the end": lambda b: b.rstrip(b"\n"),
    "blank lines at the end": lambda b: b + b"\n\n",
    "mixed line ends": lambda b: b.replace(b"\n", b"\r\n", 3),
}


# What only the careful path reads: the fast path hands these files over to it.
CAREFUL = {
    "quoted text then more text",
    "a NUL byte",
    "a byte that is not UTF-8",
    "a quoted field over two lines",
    "a quoted carriage return",
    "a carriage return inside a field",
    "a field longer than the csv module takes",
    "a header in quotes",
    "a byte order mark",
}


def _store(storage, uri: str, data: bytes) -> None:
    raw = gzip.compress(data, mtime=0)
    storage.write_bytes(join(uri, NAME), raw)
    try:  # the rows the careful parser counts, so that a change of count is not the only error
        rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))) - 1
    except (UnicodeDecodeError, csv.Error):
        rows = None

    def edit(m):
        m["files"][NAME]["sha256"] = hashlib.sha256(raw).hexdigest()
        if rows is not None:
            m["files"][NAME]["rows"] = rows

    rewrite_manifest(storage, uri, edit)


def _outcome(dsn, storage, uri: str) -> tuple:
    manifest = snapshot.read_manifest(storage, uri)
    try:
        cutoff_id = snapshot.load_cutoff(dsn, storage, manifest)["cutoff_id"]
    except ContractError as err:
        return ("refused", str(err).replace(uri, "<uri>"))
    staged = query(
        dsn,
        "SELECT p.baris, to_jsonb(p) - 'cutoff_id' FROM snapshot.ptk p WHERE cutoff_id = %s ORDER BY baris",
        (cutoff_id,),
    )
    invalid = query(
        dsn,
        "SELECT baris, pelanggaran FROM snapshot.format_tidak_valid WHERE cutoff_id = %s AND tabel = 'ptk' "
        "ORDER BY baris",
        (cutoff_id,),
    )
    return ("loaded", staged, invalid)


def _fast_refused(*args, **kwargs):
    raise lines.NotFast("the careful path, for reference")


@pytest.mark.parametrize("case", [*CASES, *ENDINGS])
def test_the_fast_path_stages_what_the_careful_path_stages(dsn, storage, bucket, monkeypatch, caplog, case):
    base = f"s3://{bucket}/cutoff"
    generator.generate(base, generator.Scale.for_students(600), seed=5, storage=storage)
    original = gzip.decompress(storage.read_bytes(join(base, NAME)))
    if case in CASES:
        data = b"\n".join(CASES[case](original.rstrip(b"\n").split(b"\n"))) + b"\n"
    else:
        data = ENDINGS[case](original)

    caplog.set_level(logging.INFO, logger="kuota.bulanan.snapshot")
    outcomes = {}
    for path, cutoff_date in (("careful", "2020-09-11"), ("fast", "2020-10-11")):
        uri = f"s3://{bucket}/{path}"
        for name in ("sekolah.csv.gz", "peserta_didik.csv.gz", "manifest.json"):
            storage.write_bytes(join(uri, name), storage.read_bytes(join(base, name)))
        rewrite_manifest(storage, uri, lambda m, d=cutoff_date: m.update(cutoff_date=d))
        _store(storage, uri, data)
        with monkeypatch.context() as patch:
            if path == "careful":
                patch.setattr(snapshot, "_copy_fast", _fast_refused)
            caplog.clear()
            outcomes[path] = _outcome(dsn, storage, uri)
            outcomes[path + " log"] = caplog.text

    assert outcomes["fast"] == outcomes["careful"], case
    took = "careful" if "ptk.csv.gz: staged by the careful reader instead" in outcomes["fast log"] else "fast"
    assert took == ("careful" if case in CAREFUL else "fast"), outcomes["fast log"]
