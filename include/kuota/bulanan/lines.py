"""The cutoff loader's fast path: a table's bytes go to PostgreSQL's own CSV parser nearly as
they are, instead of through Python's csv module row by row (most of the load's client time).

Only where both parsers must agree. A line without a double quote, without a carriage return
(other than a CRLF ending) and with the contract's number of commas is split the same way by
both: it passes as it is, and its line number is the staging table's identity (one line per
record, header = line 1). Any other line (quoted fields, too few or too many fields, empty)
is parsed here by Python's csv module, the careful path's parser, and sent re-quoted, padded
or cut to the contract's fields; its true field count is kept for the type checks. Whatever
else the file holds (a quoted field over two lines, broken quoting, a bare carriage return, a
field longer than the csv module takes, a header other than the contract's, bytes that are
not UTF-8, a NUL) raises ``NotFast``, or makes COPY refuse the file, or leaves COPY's row
count short of the lines sent: the caller then loads the file by the careful path
(snapshot.StagingStream), which names the line and the rule of whatever is wrong.
"""

from __future__ import annotations

import csv
import io

_CHUNK_BYTES = 1 << 20
_FIELD_LIMIT = csv.field_size_limit()


class NotFast(Exception):
    """The file needs the careful path; the reason holds no data from the file."""


class CopySource:
    """A file-like for psycopg2's ``copy_expert``, filled by ``_chunk()`` until ``_done``. An
    error raised while reading is kept in ``error``: psycopg2 would only say "error in .read()
    call"."""

    error: Exception | None = None
    _done = False

    def read(self, size: int = -1):
        try:
            while not self._done and (size < 0 or len(self._buf) < size):
                self._buf += self._chunk()
        except Exception as err:
            self.error = err
            raise
        if size < 0:
            size = len(self._buf)
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


class LineStream(CopySource):
    """A binary file-like of a cutoff table's data lines for ``COPY ... (FORMAT csv)``, read
    from ``binary`` (the decompressed file) after its header."""

    def __init__(self, binary, columns: tuple[str, ...], progress=None):
        self.binary, self.columns, self.ncols = binary, columns, len(columns)
        self.progress = progress
        self.rows = 0  # data lines sent: one record each
        self.ragged: list[tuple[int, int]] = []  # (line, fields) of the lines with another count
        self._rest = b""
        self._buf = b""
        self._header()

    def _header(self) -> None:
        head = b""
        while b"\n" not in head:
            block = self.binary.read(_CHUNK_BYTES)
            if not block:
                break
            head += block
        first, newline, self._rest = head.partition(b"\n")
        if first.endswith(b"\r"):
            first = first[:-1]
        if not newline or first != ",".join(self.columns).encode():
            raise NotFast("the header is not the contract's, byte for byte")

    def _lines(self) -> bytes:
        """The next block of whole lines, CRLF endings made LF; b"" at the end."""
        while True:
            block = self.binary.read(_CHUNK_BYTES)
            if not block:
                self._done = True
                data, self._rest = self._rest, b""
                return data if not data or data.endswith(b"\n") else data + b"\n"  # a last line unended
            data = self._rest + block
            cut = data.rfind(b"\n")
            if cut < 0:
                self._rest = data
                continue
            self._rest = data[cut + 1 :]
            return data[: cut + 1]

    def _chunk(self) -> bytes:
        data = self._lines()
        if not data:
            return b""
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
            if b"\r" in data:
                raise NotFast("a carriage return that does not end a line")
        lines = data.split(b"\n")
        lines.pop()  # after the last newline
        first = self.rows + 2  # the file's line of lines[0]
        self.rows += len(lines)
        if self.progress is not None:
            self.progress.add(len(lines))
        if max(map(len, lines)) > _FIELD_LIMIT:
            raise NotFast("a line longer than the csv module's field limit")
        commas = self.ncols - 1
        if b'"' not in data and all(line.count(b",") == commas for line in lines):
            return data
        for i, line in enumerate(lines):
            if b'"' in line or line.count(b",") != commas:
                lines[i] = self._requote(line, first + i)
        return b"\n".join(lines) + b"\n"

    def _requote(self, line: bytes, number: int) -> bytes:
        try:
            text = line.decode("utf-8")
            rows = list(csv.reader([text], strict=True))
        except (UnicodeDecodeError, csv.Error) as err:
            raise NotFast(f"line {number} needs the careful reader ({type(err).__name__})") from None
        if len(rows) != 1:
            raise NotFast(f"line {number} needs the careful reader")
        row = rows[0]
        if len(row) != self.ncols:
            self.ragged.append((number, len(row)))
            row = (row + [""] * self.ncols)[: self.ncols]
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="").writerow(row)
        return out.getvalue().encode("utf-8")
