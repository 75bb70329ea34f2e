"""The partners' own reading of the exchange contract (../shared/spec/exchange.md), shared by the
providers' stand-in (simulator, §2) and the schools' (school_simulator, §3).

Written apart from ``kuota.partners`` on purpose, from the contract's text alone: the simulators
stand in for independent partners, so a misreading of the contract in the pipeline must never be
shared by the partners it is tested against. Nothing here imports the pipeline's contract,
layout or manifest code (tests/test_dag_integrity.py checks it): the partners and the pipeline
meet only in the files they exchange.

What each name reads:
- Conventions: the CSV dialect (UTF-8, comma, header row, ``\\n`` line ends, RFC 4180 quoting;
  gzip when the name ends ``.gz``), timestamps ISO 8601 with an offset, the provider codes, and
  the manifest of every data file: its name (``X.csv``/``X.csv.gz`` -> ``X.manifest.json``), its
  fields (schema_version, file, rows, sha256 of the bytes as stored, created_at, then the
  fields named per file) and the rule that a file whose manifest disagrees with it is never
  consumed, in either direction.
- §2: the providers' batches and answers, their columns and statuses, the fields every
  manifest of the section adds (provider, periode, kind, batch_id).
- §3: the portal's files: the residu a school gets, the corrections and decisions it sends
  (a ``koreksi`` manifest carries the submitting school's ``npsn``), and the refusal of a
  correction of a record already on an SPTJM in the period.
- The residu reasons a school can fix by a number come from domain.md (which §3's residu
  ``alasan`` and §4's states refer to): see CORRECTABLE_REASONS.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re

# Conventions: "version any change (schema_version)"; the manifests of this contract are 1.
SCHEMA_VERSION = 1
# Conventions: "Provider codes".
PROVIDERS = ("telkomsel", "indosat", "xl", "axis", "tri", "smartfren")

# §2: the two kinds of batch, each under <exchange>/provider/<provider>/<periode>/<kind>/.
KINDS = ("validasi", "injeksi")
# §2, "out" rows: what Pusdatin asks (and nothing else leaves: data minimisation).
BATCH_COLUMNS = {"validasi": ("request_id", "msisdn"), "injeksi": ("request_id", "msisdn", "paket_gb")}
# §2, "in" rows: what a provider answers, and the statuses it may answer with.
ANSWER_COLUMNS = {
    "validasi": ("request_id", "msisdn", "status"),
    "injeksi": ("request_id", "msisdn", "status", "alasan", "waktu_injeksi"),
}
ANSWER_STATUS = {
    "validasi": ("aktif", "tidak_aktif", "masa_tenggang", "pascabayar", "tidak_dikenal"),
    "injeksi": ("berhasil", "gagal"),
}

# §3, "out": the residu file a school gets (``residu/<npsn>.csv``).
RESIDU_COLUMNS = ("jenis", "id", "nisn_or_nuptk", "nama", "nomor_hp", "alasan", "tahap")
# §3, "in": what a school sends through the portal.
PORTAL_IN_COLUMNS = {
    "koreksi": ("jenis", "id", "nomor_hp", "kepemilikan_hp", "waktu_koreksi"),
    "persetujuan": ("sptjm_no", "npsn", "keputusan", "waktu"),
}
KEPUTUSAN = ("disetujui", "ditolak")

# Residu a school fixes in the portal by correcting a number (§3 koreksi: nomor_hp and
# kepemilikan_hp), read from domain.md: the number lines of the precedence (4: empty, not a
# mobile number, no partner provider, shared by too many; 5: ownership empty), the provider's
# answers to a validation (K4: inactive, grace period, unknown) and no answer at all. Not the
# others: format, K1 and K2 are fixed in Dapodik; and a record on an SPTJM in the period cannot
# be corrected (§3: "A correction of a record that is already on an SPTJM in the period is
# refused"; domain.md flow 7: "Once printed, those numbers are locked for the period"), which
# every ``sptjm_ditolak`` (its SPTJM was rejected) and ``injeksi_gagal`` (it was on an approved
# one) record is.
CORRECTABLE_REASONS = (
    "nomor_kosong",
    "nomor_tidak_valid",
    "operator_tidak_didukung",
    "nomor_dipakai_bersama",
    "kepemilikan_kosong",
    "nomor_tidak_aktif",
    "masa_tenggang",
    "tidak_dikenal_provider",
    "tanpa_respons_provider",
)

_DATA_FILE = re.compile(r"^(?P<stem>.+)\.csv(\.gz)?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Refused(ValueError):
    """A file the partner does not consume: the contract says it is never consumed (its
    manifest disagrees with it, or its rows are not the contract's)."""


def now_iso() -> str:
    """Now, ISO 8601 with this machine's offset, to the second (Conventions: timestamps)."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def manifest_name(data_name: str) -> str:
    """The manifest of ``X.csv`` or ``X.csv.gz`` is ``X.manifest.json`` (Conventions; so
    ``B.hasil.csv.gz`` has ``B.hasil.manifest.json``). Any other name is not a data file."""
    found = _DATA_FILE.match(data_name)
    if not found:
        raise ValueError(f"{data_name!r} is not a data file of the contract (X.csv or X.csv.gz)")
    return f"{found['stem']}.manifest.json"


def csv_bytes(header, rows) -> bytes:
    """The contract's CSV: UTF-8, comma, header row, ``\\n`` line ends, RFC 4180 quoting
    (a field is quoted only when it holds a comma, a quote or a line end)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """A ``.gz`` file's bytes; no timestamp in them, so the same rows are the same bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def manifest(data_name: str, data: bytes, rows: int, created_at: str | None = None, **fields) -> bytes:
    """The manifest of a data file (Conventions): schema_version, the file's base name, its data
    rows (not the header), the sha256 of its bytes as stored, when it was made, then the
    fields its section names (§2: provider, periode, kind, batch_id; §3 koreksi: npsn)."""
    manifest_name(data_name)  # a data file's name, or ValueError
    return json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "file": data_name,
            "rows": rows,
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": created_at or now_iso(),
            **fields,
        },
        indent=2,
    ).encode()


def read_rows(data_name: str, data: bytes, columns: tuple[str, ...]) -> list[list[str]]:
    """The data rows of a file received (gzip when its name ends ``.gz``), its header checked
    against the contract's columns."""
    try:
        text = (gzip.decompress(data) if data_name.endswith(".gz") else data).decode("utf-8")
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as err:
        raise Refused(f"{data_name} is not the contract's CSV ({err})") from None
    if not table or tuple(table[0]) != columns:
        # Not echoed: a line 1 that is not the header may be a record.
        raise Refused(f"{data_name}: line 1 is not the contract's header {list(columns)}")
    wrong = next((n for n, row in enumerate(table[1:], 2) if len(row) != len(columns)), None)
    if wrong is not None:
        raise Refused(f"{data_name} line {wrong}: {len(table[wrong - 1])} fields, the contract has {len(columns)}")
    return table[1:]


def check_received(
    data_name: str, data: bytes, manifest_raw: bytes, columns: tuple[str, ...], **expected
) -> tuple[dict, list[list[str]]]:
    """A file received from the other side, consumed only if its manifest agrees with it
    (Conventions: "A data file without its manifest, or whose rows or sha256 disagree with it,
    is never consumed", in either direction): the manifest's JSON and its rows, or Refused."""
    try:
        found = json.loads(manifest_raw)
    except ValueError as err:
        raise Refused(f"{manifest_name(data_name)} is not JSON ({err})") from None
    if not isinstance(found, dict):
        raise Refused(f"{manifest_name(data_name)} is not a JSON object")
    expected = {"schema_version": SCHEMA_VERSION, "file": data_name, **expected}
    wrong = [f"{k} is {found.get(k)!r}, expected {v!r}" for k, v in expected.items() if found.get(k) != v]
    if not _SHA256.match(str(found.get("sha256"))):
        wrong.append(f"sha256 is {found.get('sha256')!r}, expected 64 hex digits")
    elif found["sha256"] != hashlib.sha256(data).hexdigest():
        wrong.append(f"sha256 is {found['sha256']}, the file's bytes hash to {hashlib.sha256(data).hexdigest()}")
    try:
        stamp = dt.datetime.fromisoformat(str(found.get("created_at")))
        if stamp.utcoffset() is None:
            wrong.append(f"created_at {found.get('created_at')!r} has no offset")
    except ValueError:
        wrong.append(f"created_at {found.get('created_at')!r} is not ISO 8601")
    if wrong:
        raise Refused(f"{manifest_name(data_name)}: " + "; ".join(wrong))
    rows = read_rows(data_name, data, columns)
    if type(found.get("rows")) is not int or found["rows"] != len(rows):
        raise Refused(f"{manifest_name(data_name)}: rows is {found.get('rows')!r}, {data_name} has {len(rows)}")
    return found, rows
