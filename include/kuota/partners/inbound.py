"""Reading a partner's file (a provider's answer, a school's portal file) under the contract's
rules: its manifest first, then its bytes, then its rows in PostgreSQL. A file that breaks a
rule raises Rejected with the rule and the line; the caller quarantines it whole.
"""

from __future__ import annotations

import csv
import gzip
import tempfile

from ..infra.errors import Rejected, header_mismatch, shown
from ..infra.storage import Storage


class _Lines:
    """The file's physical lines, decoded one by one, so that a byte that is not UTF-8 or a
    NUL is named by its line (not by a byte offset, nor left for COPY to trip on)."""

    def __init__(self, binary):
        self.binary, self.number = binary, 0

    def __iter__(self):
        for raw in self.binary:  # split on b"\n": a CRLF line keeps its \r for csv to strip
            self.number += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise Rejected(
                    f"line {self.number}: byte 0x{raw[err.start]:02x} at column {err.start + 1} "
                    f"is not UTF-8 (the contract's encoding)"
                ) from None
            if "\x00" in line:
                raise Rejected(f"line {self.number}: a NUL byte (0x00) at column {line.index(chr(0)) + 1}: not text")
            yield line


def _quoted(field: str) -> str:
    """One field for COPY: empty stays unquoted (NULL, as before), anything else is quoted, so
    no partner value (a lone \\., a backslash) can ever act as COPY syntax."""
    return '"' + field.replace('"', '""') + '"' if field else ""


def _staged(tmp, gzipped: bool, columns: tuple[str, ...], out) -> int:
    """Parse the partner's CSV in Python (RFC 4180) and write it re-quoted to ``out`` as
    ``baris,<columns>`` rows, baris being the line where the row starts. Returns the rows:
    counted here, independently of COPY."""
    tmp.seek(0)
    binary = gzip.GzipFile(fileobj=tmp, mode="rb") if gzipped else tmp
    lines = _Lines(binary)
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader, None)
        if header != list(columns):
            raise Rejected(header_mismatch(header, columns))
        rows, start = 0, lines.number + 1
        for row in reader:
            if len(row) != len(columns):
                raise Rejected(
                    f"line {start}: {len(row)} fields, the contract has {len(columns)} ({','.join(columns)})"
                )
            out.write(f"{start}," + ",".join(map(_quoted, row)) + "\n")
            rows, start = rows + 1, lines.number + 1
    except csv.Error as err:
        raise Rejected(f"line {lines.number}: not RFC 4180 CSV ({err})") from None
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise Rejected(f"the file cannot be read as {'gzip’d ' if gzipped else ''}CSV ({err})") from None
    return rows


def load_csv(cur, tmp, table: str, columns: tuple[str, ...], gzipped: bool, extra: tuple[str, ...] = ()) -> int:
    """Load a partner's CSV file (a local temp file) into a new temp table; baris is the line
    in the file. The rows are parsed and counted here and reach COPY re-quoted, never as the
    partner's bytes. ``extra`` columns exist in the table (NULL) so one check can read files of
    several layouts."""
    cur.execute(f"""CREATE TEMP TABLE {table} (baris bigint NOT NULL,
                    {", ".join(f"{c} text" for c in columns + extra)}) ON COMMIT DROP""")
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as staged:
        rows = _staged(tmp, gzipped, columns, staged)
        staged.seek(0)
        cur.copy_expert(
            f"COPY {table} (baris, {', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", staged, size=1 << 20
        )
    cur.execute(f"ANALYZE {table}")  # the checks join it with the warehouse: plan on real counts
    cur.execute(f"SELECT count(*) FROM {table}")
    ((copied,),) = cur.fetchall()
    if copied != rows:  # cannot happen with the re-quoted stream; never load a file short
        raise Rejected(f"{rows} rows read, {copied} reached the warehouse")
    return rows


def offending(found: list[tuple], names: tuple[str, ...]) -> str:
    """'N rows break the contract, first: line L (name 'value', ...): rule; ...' from a
    check's rows (baris, the named values..., rule, count). A value that could be personal is
    quoted as '…' (kuota.infra.errors.shown): the message reaches logs and task errors."""
    first = "; ".join(
        f"line {row[0]} ("
        + ", ".join(f"{n} {shown(v)}" for n, v in zip(names, row[1:-2], strict=False))
        + f"): {row[-2]}"
        for row in found
    )
    return f"{found[0][-1]} rows break the contract, first: {first}"


def move_to_quarantine(
    storage: Storage, sources: list[tuple[str, str]], target: str, message: str, record=None
) -> None:
    """Copy the files (uri, suffix) to ``target + suffix`` with an error file beside them,
    ``record()`` it, then delete the originals, manifest first (the file is incomplete from
    then on): a retry after a crash redoes it."""
    storage.write_bytes(f"{target}.error.txt", (message + "\n").encode())
    for src, suffix in sources:
        if storage.exists(src):
            storage.copy(src, target + suffix)
    if record:
        record()
    for src, _suffix in sorted(sources, key=lambda s: not s[1].endswith("manifest.json")):
        storage.delete(src)
