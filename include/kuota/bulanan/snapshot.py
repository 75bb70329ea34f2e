"""The cutoff snapshot (the monthly run's first step): verify the Dapodik export and bulk-load it, immutable, by cutoff.

Each table is streamed once (S3 or disk -> gunzip -> PostgreSQL COPY; lines.py says which
lines pass through Python's csv module) into an unlogged staging table of the load's
transaction, type-checked by set-based SQL (include/sql/bulanan/snapshot/0[3-5]_load_*.sql)
and published in the same transaction as its ``snapshot.cutoff_file`` row; the cutoff's own
row is written in the transaction of the first table loaded, never alone.  So a table is
either loaded completely or not at all, a failed load leaves nothing behind (a load that
failed before any table was in leaves no cutoff row either, so a corrected export for the
same cutoff_date is taken), and a re-run skips the tables already loaded: loading the same
cutoff twice is a no-op.
"""

from __future__ import annotations

import codecs
import collections
import csv
import gzip
import hashlib
import io
import json
import logging
import re
import zlib

import psycopg2
import psycopg2.errors
from psycopg2.extensions import AsIs

from .. import periode as lifecycle
from ..infra import db, migrations
from ..infra.errors import ContractError, header_mismatch
from ..infra.progress import Progress
from ..infra.storage import Storage, join
from ..partners.contract import CUTOFF_COLUMNS, CUTOFF_TABLES
from ..partners.manifest import HashingReader, parse_cutoff_manifest
from . import quality
from .lines import CopySource, LineStream, NotFast

log = logging.getLogger(__name__)

_CHUNK_ROWS = 20_000
# The tables kept a partition per cutoff: each load writes its own, then attaches it.
PER_CUTOFF = ("peserta_didik", "ptk")
# Each table's type rules, schools first (the other two reference them).
_LOAD_SQL = {
    "sekolah": "bulanan/snapshot/03_load_sekolah",
    "peserta_didik": "bulanan/snapshot/04_load_peserta_didik",
    "ptk": "bulanan/snapshot/05_load_ptk",
}


def read_manifest(storage: Storage, cutoff_uri: str) -> dict:
    """The export's manifest, checked for shape and for the presence of every file."""
    names = storage.list_names(cutoff_uri)
    if "manifest.json" not in names:
        raise ContractError(f"{join(cutoff_uri, 'manifest.json')}: missing, so the export is not complete")
    raw = storage.read_bytes(join(cutoff_uri, "manifest.json"))
    manifest = parse_cutoff_manifest(raw, cutoff_uri, names)
    canonical = json.dumps(manifest, sort_keys=True).encode()
    manifest["content_sha256"] = hashlib.sha256(canonical).hexdigest()
    manifest["source_uri"] = cutoff_uri
    return manifest


def verify_checksums(storage: Storage, manifest: dict) -> dict:
    """Hash every file as stored (no decompression); a mismatch names the file."""
    for table in CUTOFF_TABLES:
        entry = manifest["tables"][table]
        uri = join(manifest["source_uri"], entry["file"])
        with storage.open_read(uri) as raw:
            reader = HashingReader(raw)
            reader.drain()
        if reader.hexdigest() != entry["sha256"]:
            raise ContractError(f"{uri}: sha256 {reader.hexdigest()} does not match the manifest's {entry['sha256']}")
        log.info("%s: sha256 verified (%d bytes)", entry["file"], reader.size)
    return manifest


def register_cutoff(conn, manifest: dict) -> int:
    """The cutoff's id, registered in the caller's transaction (a table's load): the row is
    committed with the first table loaded, or rolled back with it, never committed alone. An
    existing cutoff date with other content is refused (immutable)."""
    rows = db.run(
        conn,
        "bulanan/snapshot/02_register_cutoff",
        {
            "cutoff_date": manifest["cutoff_date"],
            "content_sha256": manifest["content_sha256"],
            "source_uri": manifest["source_uri"],
            "manifest": json.dumps(manifest["tables"]),
        },
    )
    for cutoff_id, _cutoff_date, content in rows:
        if content == manifest["content_sha256"]:
            return cutoff_id
    found = {row[0] for row in db.run(conn, "bulanan/snapshot/08_list_cutoff_file", {"cutoff_id": rows[0][0]})}
    loaded = [table for table in CUTOFF_TABLES if table in found]
    if len(loaded) < len(CUTOFF_TABLES):  # a table is in: the manifest it was loaded by stands
        raise ContractError(
            f"{manifest['source_uri']}/manifest.json: cutoff {manifest['cutoff_date']} is partly loaded "
            f"({', '.join(loaded)}) from an export with other files; a loaded table is immutable: finish it "
            f"with the files its manifest lists, or a new export needs a new cutoff_date"
        )
    raise ContractError(
        f"{manifest['source_uri']}/manifest.json: cutoff {manifest['cutoff_date']} is already loaded "
        f"with other files; a snapshot is immutable, a new export needs a new cutoff_date"
    )


class StagingStream(CopySource):
    """A file-like view of a CSV table as COPY input: line number and field count first.

    Rows with the wrong number of fields are kept (padded or cut) so that SQL reports them;
    every field is quoted so that an empty field stays '' rather than NULL. A NUL byte, which
    PostgreSQL's text cannot hold, is looked for once per chunk (not per row) and refused
    here, naming its line and field, rather than by COPY, which would name its own line.
    """

    def __init__(self, reader, columns: tuple[str, ...], name: str, uri: str | None = None, total: int | None = None):
        self.reader, self.columns, self.ncols, self.name = reader, columns, len(columns), name
        self.uri = uri or name
        self.rows = 0
        self._buf = ""
        self.progress = Progress(log, f"{name}: staged", total=total)
        # (first staged row, rows, first line, last line) of the latest chunks: COPY names
        # the staged row of an error, the file's line is found from these.
        self._spans: collections.deque = collections.deque(maxlen=16)

    def _chunk(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        reader, ncols = self.reader, self.ncols
        batch = []
        line = reader.line_num
        for row in reader:
            n = len(row)
            if n != ncols:
                row = (row + [""] * ncols)[:ncols]
            batch.append([line + 1, n, *row])
            line = reader.line_num
            if len(batch) >= _CHUNK_ROWS:
                break
        if not batch:
            self._done = True
            return ""
        writer.writerows(batch)
        text = out.getvalue()
        if "\x00" in text:
            self._refuse_nul(batch)
        self._spans.append((self.rows + 1, len(batch), batch[0][0], batch[-1][0]))
        self.rows += len(batch)
        self.progress.add(len(batch))
        return text

    def _refuse_nul(self, batch: list) -> None:
        for record in batch:
            line = record[0]
            for column, value in zip(self.columns, record[2:], strict=False):
                at = value.find("\x00")
                if at >= 0:
                    raise ContractError(
                        f"{self.uri}: line {line + value.count(chr(10), 0, at)}: field {column} holds a NUL byte "
                        f"(0x00): a text field cannot hold it (the warehouse's text refuses it); nothing loaded: "
                        f"Dapodik must export the file again without it"
                    )
                line += value.count("\n")  # a quoted field may span lines

    def file_line(self, staged_row: int) -> str:
        """The file's line of the n-th staged row (COPY's "line"), when still known."""
        for first, count, start, end in self._spans:
            if first <= staged_row < first + count:
                if end - start == count - 1:  # one line per row in this chunk
                    return f"line {start + staged_row - first}"
                return f"a line from {start} to {end}"
        return f"staged row {staged_row} (its line no longer known)"


def _open_binary(storage: Storage, uri: str, file_name: str):
    """The file's bytes as stored (hashed as they are read) and its data: gunzipped, or the
    plain bytes buffered (io.TextIOWrapper reads a buffered stream, not a raw one)."""
    raw = HashingReader(storage.open_read(uri))
    if file_name.endswith(".gz"):
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, io.BufferedReader(raw, 1 << 20)


def _open_text(storage: Storage, uri: str, file_name: str):
    raw, binary = _open_binary(storage, uri, file_name)
    return raw, io.TextIOWrapper(binary, encoding="utf-8", newline="")


def _first_bad_utf8(storage: Storage, uri: str, file_name: str) -> tuple[int, int] | None:
    """The line (header = 1) and value of the file's first byte that is not UTF-8.

    Only run after decoding failed: the decoder reads ahead in blocks, so where it stopped
    says nothing about the line; reading the file again, counting newlines per block, does.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    raw, binary = _open_binary(storage, uri, file_name)
    try:
        while True:
            block = binary.read(1 << 20)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as err:
                data = err.object  # bytes held from the block before (no newline among them) + this block
                return newlines + data.count(b"\n", 0, err.start) + 1, data[err.start]
            if not block:
                return None
            newlines += block.count(b"\n")
    except (EOFError, OSError, zlib.error):
        return None
    finally:
        for stream in (binary, raw):  # closing raw closes the stored file's stream
            close = getattr(stream, "close", None)
            if close:
                close()


def _unreadable(err: Exception, storage: Storage, uri: str, entry: dict, line: int) -> Exception:
    """What a file that cannot be read as the contract's CSV says; ``line`` is the last line
    read. Errors that may heal (the network) are returned as they are, for a retry."""
    if isinstance(err, ContractError):
        return err
    if isinstance(err, UnicodeDecodeError):
        found = _first_bad_utf8(storage, uri, entry["file"])
        where = f"line {found[0]}: byte 0x{found[1]:02X}" if found else f"after line {line}: a byte"
        return ContractError(
            f"{uri}: {where} is not UTF-8 (exchange.md, Conventions: CSV in UTF-8); nothing "
            f"loaded: Dapodik must export the file again in UTF-8"
        )
    if isinstance(err, csv.Error):
        return ContractError(
            f"{uri}: line {line}: not CSV as RFC 4180 quotes it ({err}; exchange.md, "
            f"Conventions); nothing loaded: Dapodik must export the file again"
        )
    if isinstance(err, (EOFError, zlib.error, gzip.BadGzipFile)):
        return ContractError(
            f"{uri}: line {line + 1}: the gzip stream is cut off or damaged there "
            f"({type(err).__name__}: {err}); nothing loaded: upload the whole file again"
        )
    return err


def _copy_table(cur, storage: Storage, uri: str, table: str, entry: dict):
    """Stage the file: by the fast path if it can, else by the careful one (which names the
    line and rule of whatever is wrong). The same rows are staged either way."""
    try:
        return _copy_fast(cur, storage, uri, table, entry)
    except NotFast as why:
        log.info("%s: staged by the careful reader instead: %s", entry["file"], why)
        return _copy_careful(cur, storage, uri, table, entry)


def _copy_fast(cur, storage: Storage, uri: str, table: str, entry: dict) -> tuple[LineStream, HashingReader]:
    """The file's lines into COPY's own CSV parser (lines.py says when that agrees with the
    careful path); anything else rolls back to before it and raises NotFast."""
    if cur.connection.encoding != "UTF8":  # else COPY would not check the bytes are UTF-8
        raise NotFast(f"the connection's encoding is {cur.connection.encoding}, not UTF8")
    columns = CUTOFF_COLUMNS[table]
    cur.execute("SAVEPOINT fast_copy")
    raw, binary = _open_binary(storage, uri, entry["file"])
    stream = None
    try:
        stream = LineStream(binary, columns, Progress(log, f"{entry['file']}: staged", total=entry["rows"]))
        cur.copy_expert(
            f"COPY snapshot.staging_{table} ({', '.join(columns)}) FROM STDIN "
            f"WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(columns)}))",
            stream,
            size=1 << 20,
        )
        if cur.rowcount != stream.rows:  # COPY stopped early (a line holding only \.)
            raise NotFast(f"COPY took {cur.rowcount} of the {stream.rows} lines")
        if stream.ragged:
            lines, fields = zip(*stream.ragged, strict=True)
            cur.execute(
                f"UPDATE snapshot.staging_{table} s SET ncol = r.fields "
                f"FROM unnest(%s::bigint[], %s::int[]) AS r(baris, fields) WHERE s.baris = r.baris",
                (list(lines), list(fields)),
            )
        raw.drain()
    except Exception as err:
        cur.execute("ROLLBACK TO SAVEPOINT fast_copy")
        why = stream.error if stream is not None and stream.error is not None else err
        if isinstance(why, NotFast):
            raise why from None
        raise NotFast(f"the fast path stopped ({type(why).__name__})") from None
    finally:
        binary.close()
        raw.close()
    cur.execute("RELEASE SAVEPOINT fast_copy")
    return stream, raw


def _copy_careful(cur, storage: Storage, uri: str, table: str, entry: dict) -> tuple[StagingStream, HashingReader]:
    columns = CUTOFF_COLUMNS[table]
    raw, text = _open_text(storage, uri, entry["file"])
    try:
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, EOFError, zlib.error, gzip.BadGzipFile, csv.Error) as err:
            raise _unreadable(err, storage, uri, entry, reader.line_num) from None
        if header is None or tuple(header) != columns:
            raise ContractError(f"{uri}: {header_mismatch(header, columns)}")
        stream = StagingStream(reader, columns, entry["file"], uri, total=entry["rows"])
        try:
            cur.copy_expert(
                f"COPY snapshot.staging_{table} (baris, ncol, {', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                stream,
                size=1 << 20,
            )
        except psycopg2.Error as err:
            if stream.error is not None:
                raise _unreadable(stream.error, storage, uri, entry, reader.line_num) from None
            if isinstance(err, psycopg2.DataError):
                # COPY refused a value the stream let through: its context names the staged row
                # (and the value, which stays out of the message: it may be personal data).
                context = (err.diag.context or "").splitlines()
                staged = re.search(r"line (\d+)(?:, column (\w+))?", context[0] if context else "")
                where = stream.file_line(int(staged.group(1))) if staged else "a line COPY did not name"
                field = f": field {staged.group(2)}" if staged and staged.group(2) else ""
                raise ContractError(
                    f"{uri}: {where}{field}: the warehouse refused the text "
                    f"({err.diag.message_primary}); nothing loaded: Dapodik must export the file "
                    f"again without it"
                ) from None
            raise
        raw.drain()
    finally:
        text.close()
        raw.close()  # a GzipFile leaves the stream it was given open
    return stream, raw


# Errors of the type-check SQL that come from a value, not from the warehouse's state: a value
# the type rules let through but a column refuses. Retrying cannot change them.
_VALUE_ERRORS = (psycopg2.DataError, psycopg2.errors.CheckViolation, psycopg2.errors.NotNullViolation)


def load_table(dsn: str, storage: Storage, manifest: dict, table: str) -> tuple[int, dict]:
    """Load one table of the cutoff, or find it loaded already.  Returns the cutoff's id and
    the table's counts."""
    entry = manifest["tables"][table]
    uri = join(manifest["source_uri"], entry["file"])
    with db.connect(dsn) as conn, conn.cursor() as cur:
        # The cutoff's row joins this transaction: if this is the first table and it fails,
        # no cutoff row is left to refuse the corrected export as "other content".
        cutoff_id = register_cutoff(conn, manifest)
        # One loader per table at a time (its staging tables have fixed names); a concurrent
        # retry waits, then skips.
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('load cutoff table'), %s)", (CUTOFF_TABLES.index(table),))
        done = _loaded(cur, cutoff_id, table)
        if done:
            log.info("%s: already loaded for cutoff %s, skipped", entry["file"], cutoff_id)
            return cutoff_id, {**done, "skipped": True}
        # Staged in an unlogged table of the transaction, not a temp table: PostgreSQL's
        # parallel workers cannot read a temp table, and the type checks are the load's
        # heaviest part. Created and dropped in this transaction, so never seen by another.
        cur.execute(f"CREATE UNLOGGED TABLE snapshot.staging_{table} (LIKE snapshot.raw_{table})")
        # The fast path sends the fields only: a line's number and field count come from here.
        cur.execute(
            f"ALTER TABLE snapshot.staging_{table} ALTER baris SET NOT NULL, "
            f"ALTER baris ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 2), "
            f"ALTER ncol SET DEFAULT {len(CUTOFF_COLUMNS[table])}"
        )
        stream, raw = _copy_table(cur, storage, uri, table, entry)
        if raw.hexdigest() != entry["sha256"]:
            raise ContractError(
                f"{uri}: sha256 {raw.hexdigest()} does not match the manifest's {entry['sha256']}; nothing loaded"
            )
        if stream.rows != entry["rows"]:
            raise ContractError(f"{uri}: {stream.rows} data rows, the manifest says {entry['rows']}; nothing loaded")
        log.info("%s: %d rows staged, checking types", entry["file"], stream.rows)
        params = {
            "cutoff_id": cutoff_id,
            "file_name": entry["file"],
            "sha256": entry["sha256"],
            "manifest_rows": entry["rows"],
        }
        if table in PER_CUTOFF:  # the cutoff's partition, named by the warehouse (migration 0014)
            cur.execute("SELECT snapshot.bagian_cutoff(%s, %s)", (table, cutoff_id))
            params["bagian"] = AsIs(cur.fetchone()[0])
        try:
            db.run(conn, _LOAD_SQL[table], params)
        except _VALUE_ERRORS as err:
            # A CHECK names the failing row, whose second value is its line; the rest of the
            # row (personal data) stays out of the message.
            found = re.search(r"Failing row contains \(\d+, (\d+),", err.diag.message_detail or "")
            where = f"line {found.group(1)}" if found else "a line the warehouse did not name"
            rule = err.diag.constraint_name or err.diag.message_primary
            raise ContractError(
                f"{uri}: {where}: a value passed {_LOAD_SQL[table]}.sql's type rules but the "
                f"warehouse refused it ({type(err).__name__}: {rule}); nothing loaded: add the "
                f"rule to {_LOAD_SQL[table]}.sql so the row is reported, then load again"
            ) from None
        done = _loaded(cur, cutoff_id, table)
    log.info(
        "%s: %d rows loaded, %d format_tidak_valid, %.1fs (%.0f rows/s)",
        entry["file"],
        done["loaded_rows"],
        done["invalid_rows"],
        done["seconds"],
        done["manifest_rows"] / max(done["seconds"], 1e-9),
    )
    return cutoff_id, {**done, "skipped": False}


def _loaded(cur, cutoff_id: int, table: str) -> dict | None:
    cur.execute(db.sql("bulanan/snapshot/08_list_cutoff_file"), {"cutoff_id": cutoff_id})
    row = next((r[1:] for r in cur.fetchall() if r[0] == table), None)
    if row is None:
        return None
    return dict(zip(("manifest_rows", "loaded_rows", "invalid_rows", "seconds"), row, strict=True))


def load_cutoff(dsn: str, storage: Storage, manifest: dict) -> dict:
    """Register and load every table of the export (schools first); idempotent."""
    tables = {}
    for table in CUTOFF_TABLES:  # each registers the cutoff in its own transaction (idempotent)
        cutoff_id, tables[table] = load_table(dsn, storage, manifest, table)
    return {"cutoff_id": cutoff_id, "cutoff_date": manifest["cutoff_date"], "tables": tables}


def refuse_other_cutoff(dsn: str, periode: str, manifest: dict) -> None:
    """Before anything is loaded: a period already bound to another cutoff keeps it, so an
    export meant for another period is refused before it costs a load."""
    with db.connect(dsn) as conn:
        bound = db.run(conn, "bulanan/snapshot/01_find_periode_cutoff", {"periode": periode})
    for cutoff_id, cutoff_date, content in bound:
        if content != manifest["content_sha256"]:
            raise ContractError(
                f"periode {periode} already runs on cutoff {cutoff_id} ({cutoff_date}), not on "
                f"{manifest['source_uri']} (cutoff_date {manifest['cutoff_date']}); nothing loaded: a period never "
                f"changes cutoff, so load this export for its own periode"
            )


def invalid_rows(dsn: str, cutoff_id: int, limit: int = 20) -> list[tuple]:
    """The first format_tidak_valid rows (table, line, rule): no personal data."""
    with db.connect(dsn) as conn:
        return db.run(conn, "bulanan/snapshot/09_list_format_tidak_valid", {"cutoff_id": cutoff_id, "limit": limit})


# -- the snapshot's steps, one per task of kuota_bulanan's cutoff_snapshot group ----------


def verify_cutoff(storage: Storage, cutoff_uri: str, periode: str | None = None) -> dict:
    """Manifest shape, presence and sha256 of every file; returns the manifest (small). The
    period, when given, is checked first: a bad one should not cost reading the export."""
    if periode is not None:
        lifecycle.check_periode(periode)
    return verify_checksums(storage, read_manifest(storage, cutoff_uri))


def load_snapshot(
    dsn: str, storage: Storage, manifest: dict, periode: str, opening: dict | None = None, oleh: str = "kuota"
) -> dict:
    """Load the cutoff and open the period on it; the period is checked (its form, that it is
    not closed, nor bound to another cutoff) before anything is loaded. ``opening``: what
    ``periode.check_opening`` said (its deadline and calendar); by default the period's last
    day and the 2020 stage days, even if passed (the DAG and the CLI refuse that up front)."""
    lifecycle.check_periode(periode)
    opening = opening or lifecycle.check_opening(dsn, periode, None, refuse_passed=False)
    refuse_other_cutoff(dsn, periode, manifest)
    result = load_cutoff(dsn, storage, manifest)
    lifecycle.open_period(dsn, periode, result["cutoff_id"], opening, oleh)
    for tabel, baris, pelanggaran in invalid_rows(dsn, result["cutoff_id"]):
        log.warning("format_tidak_valid: %s line %s: %s", tabel, baris, pelanggaran)
    return result


def run_snapshot(
    dsn: str,
    periode: str,
    cutoff_uri: str,
    storage: Storage | None = None,
    batas_jawaban: str | None = None,
    hari_tahap=None,
    strict: bool = False,
    output_uri: str | None = None,
) -> dict:
    """Stage 1 end to end, as the DAG's task group runs it (CLI and demo). ``strict``: refuse
    to open a period whose deadline has already passed, as the DAG does. ``output_uri``: the
    period's output, where the suite's Data Docs go (None: none are built)."""
    storage = storage or Storage()
    lifecycle.check_periode(periode)
    migrations.migrate(dsn)
    opening = lifecycle.check_opening(dsn, periode, batas_jawaban, hari_tahap, refuse_passed=strict)
    manifest = verify_cutoff(storage, cutoff_uri, periode)
    result = load_snapshot(dsn, storage, manifest, periode, opening, oleh="kuota snapshot")
    docs = lifecycle.Period(dsn, periode, storage, output_uri=output_uri) if output_uri else None
    result["quality"] = quality.check_snapshot(dsn, result["cutoff_id"], periode, docs=docs)
    return result
