"""The provider exchange (exchange.md §2): validation batches out, answers in.

Outbound: a batch is planned once, in the warehouse (kuota.batch, kuota.permintaan), then
written from there: data file, then manifest. Its id hashes its content, its bytes are a
function of the warehouse rows (gzip without a timestamp), so a re-send or a retry writes the
same bytes under the same key. Only request_id and msisdn leave: kuota.permintaan holds
nothing else, and the file's columns are checked against the contract before it is written.

Inbound: an answer is consumed only when its manifest agrees with it and every row keeps the
contract; otherwise it is quarantined whole (moved under ``karantina/`` with an error file)
and nothing from it is loaded. The sha256 of every answer looked at is recorded: the same
answer again is ignored, a different one is quarantined, and the first answer's outcome stands.

Both kinds (validasi, injeksi) travel the same way; what each means for the recipients is in
its SQL (sql/tahap/<kind>/) and its stage module (kuota.tahap.validasi, kuota.tahap.injeksi).
``run_exchange`` drives one kind to its end without Airflow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import shutil
import tempfile
import time

from .. import periode as lifecycle
from ..infra import db
from ..infra.errors import ContractError, Rejected
from ..infra.progress import alive
from ..infra.storage import Storage, basename
from ..periode import Period
from .contract import ANSWER_COLUMNS, ANSWER_STATUS, BATCH_COLUMNS, PROVIDERS
from .inbound import load_csv, move_to_quarantine, offending
from .layout import answer_manifest_uri, answer_quarantine_uri, answer_uri, batch_uri, provider_folder
from .manifest import HashingReader, check_manifest, file_manifest, manifest_uri

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 100_000


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no timestamp, no file name, fixed level."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _batch(conn, batch_id: str, periode: str | None = None) -> dict:
    with conn.cursor() as cur:
        cur.execute(db.sql("partners/exchange/02_read_batch"), {"batch_id": batch_id})
        row = cur.fetchone()
        keys = [c.name for c in cur.description]
    if row is None:
        raise ContractError(f"batch {batch_id} is not in kuota.batch (plan the period's batches first)")
    batch = dict(zip(keys, row, strict=True))
    if periode is not None and batch["periode"] != periode:
        raise ContractError(f"batch {batch_id} belongs to periode {batch['periode']}, not {periode}")
    return batch


def periode_of_batch(dsn: str, batch_id: str) -> str:
    """The period a batch was planned in (``kuota redo-batch`` is given only the batch)."""
    with db.connect(dsn) as conn:
        return _batch(conn, batch_id)["periode"]


# -- outbound -----------------------------------------------------------------------------

_WAITING = {"validasi": "siap_validasi", "injeksi": "sptjm_disetujui"}
# Each kind's own steps (what its answer does to the recipients): sql/tahap/<kind>/.
_SQL = {
    kind: {
        "plan": f"tahap/{kind}/01_plan_batch",
        "write": f"tahap/{kind}/02_write_batch",
        "load": f"tahap/{kind}/03_load_jawaban",
        "close": f"tahap/{kind}/{close}_close_permintaan",
    }
    for kind, close in (("validasi", "04"), ("injeksi", "05"))
}


def providers_to(period: Period, kind: str) -> list[str]:
    """Providers with something to ask of a kind (numbers to validate, packages to inject),
    or batches of that kind already sent (so a re-run maps the same providers), in the
    contract's order."""
    with db.connect(period.dsn) as conn, conn.cursor() as cur:
        cur.execute(
            db.sql("partners/exchange/01_list_providers"),
            {"periode": period.periode, "status": _WAITING[kind], "jenis": kind},
        )
        found = {r[0] for r in cur.fetchall()}
    return [p for p in PROVIDERS if p in found]


@lifecycle.while_open("planning batches")
def plan(period: Period, provider: str, kind: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> list[dict]:
    """The provider's batches of a kind in the period, new ones planned first (idempotent):
    validasi asks about every distinct number waiting, injeksi for every approved package,
    in the period's stage. After the period's deadline nothing new is asked: it could only
    end unanswered."""
    dsn, periode, deadline = period.dsn, period.periode, period.deadline
    if provider not in PROVIDERS:
        raise ContractError(f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)}")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    if period.deadline_passed():
        batches = [
            {k: b[k] for k in ("batch_id", "provider", "rows")}
            for b in batches_of(period, kind)
            if b["provider"] == provider
        ]
        log.warning(
            "%s %s %s: the deadline %s has passed, nothing new is planned (%d batches planned before)",
            kind,
            periode,
            provider,
            deadline.isoformat(),
            len(batches),
        )
        return batches
    with (
        db.serialized(dsn, periode, f"plan {kind} {provider}"),
        db.connect(dsn) as conn,
        alive(log, f"{kind} {periode} {provider}: planning batches"),
    ):
        rows = db.run(
            conn,
            _SQL[kind]["plan"],
            {"periode": periode, "provider": provider, "ukuran": batch_rows, "tahap": period.tahap},
        )
    batches = [{"batch_id": b, "provider": provider, "rows": n} for b, n, _ in rows]
    new = [b for b, _, baru in rows if baru]
    log.info(
        "%s %s %s: %d batches (%d new: %s), %d rows",
        kind,
        periode,
        provider,
        len(batches),
        len(new),
        ", ".join(new) or "-",
        sum(b["rows"] for b in batches),
    )
    return batches


def batch_bytes(conn, batch_id: str, kind: str = "validasi") -> tuple[bytes, int]:
    """The batch file as sent: header + rows from kuota.permintaan, gzipped."""
    raw = io.BytesIO()
    raw.write((",".join(BATCH_COLUMNS[kind]) + "\n").encode())
    db.copy_out(conn, _SQL[kind]["write"], {"batch_id": batch_id}, raw)
    data = raw.getvalue()
    header = data.split(b"\n", 1)[0].decode()
    first = data.split(b"\n", 2)[1] if data.count(b"\n") > 1 else b""
    if header.split(",") != list(BATCH_COLUMNS[kind]) or (first and first.count(b",") != len(BATCH_COLUMNS[kind]) - 1):
        raise ContractError(f"batch {batch_id}: refusing to send columns other than {BATCH_COLUMNS[kind]}")
    return gzip_bytes(data), data.count(b"\n") - 1


def _in_place(storage: Storage, uri: str, manifest: bytes, batch: dict) -> bool:
    """The batch is at the provider as sent, and no answer to it was quarantined since (a
    quarantine asks for a re-send: the provider answers a re-sent batch again)."""
    sent_at = storage.modified_at(manifest_uri(uri))
    if sent_at is None or not storage.exists(uri) or storage.read_bytes(manifest_uri(uri)) != manifest:
        return False
    return batch["karantina_epoch"] is None or float(batch["karantina_epoch"]) <= sent_at


def send_batch(period: Period, batch_id: str, force: bool = False) -> dict:
    """Write the batch's data file, then its manifest. The same bytes every time: the first
    send records the sha256, and a later send that would differ is refused. For the provider a
    re-send means "answer this again", so a batch whose answer is loaded, or whose requests
    were closed at the deadline, is never sent again (by any path: a stage run, a cleared
    task, the CLI). A batch already in place is not sent again unless an answer to it was
    quarantined since, or ``force`` (a redo of a batch never answered). After the period's
    deadline nothing is sent: an answer could only come too late to be loaded, and for an
    injection the provider would deliver what it is never paid for.
    Never beside the period's deadline close or its closing step (the close lock, shared):
    a period cannot close between this step's check that it is open and its write."""
    dsn, periode, storage = period.dsn, period.periode, period.files()
    with db.connect(dsn) as conn:
        _batch(conn, batch_id, periode)
    with (
        db.serialized(dsn, batch_id, "batch"),
        db.serialized(dsn, periode, "close", shared=True),
        db.connect(dsn) as conn,
    ):
        batch = _batch(conn, batch_id)
        lifecycle.require_open(dsn, batch["periode"], f"sending batch {batch_id}", full=False)
        if period.deadline_passed():
            why = f"the period's deadline {period.deadline.isoformat()} has passed: nothing is sent after it"
            log.warning("batch %s is not sent: %s", batch_id, why)
            return {"batch_id": batch_id, "provider": batch["provider"], "outcome": "after_deadline", "why": why}
        data, rows = batch_bytes(conn, batch_id, batch["jenis"])
        manifest = file_manifest(
            f"{batch_id}.csv.gz",
            data,
            rows,
            batch["dibuat_at"],
            provider=batch["provider"],
            periode=batch["periode"],
            kind=batch["jenis"],
            batch_id=batch_id,
        )
        sha = json.loads(manifest)["sha256"]
        if rows != batch["baris"]:
            raise ContractError(f"batch {batch_id}: {rows} rows in the warehouse, {batch['baris']} planned")
        if batch["sha256"] is None:
            db.run(conn, "partners/exchange/04_record_batch_sha256", {"batch_id": batch_id, "sha256": sha})
        elif batch["sha256"] != sha:
            raise ContractError(
                f"batch {batch_id}: its bytes would differ from those first sent "
                f"(sha256 {batch['sha256']} then, {sha} now); a sent batch is immutable"
            )
        uri = batch_uri(period.exchange(), batch["provider"], batch["periode"], batch["jenis"], batch_id)
        done = {"batch_id": batch_id, "provider": batch["provider"], "rows": rows, "sha256": sha, "uri": uri}
        if batch["dimuat_sha256"] or batch["ditutup"]:
            why = (
                f"its answer is loaded (sha256 {batch['dimuat_sha256']})"
                if batch["dimuat_sha256"]
                else f"its {batch['ditutup']} requests were closed at the deadline (residu tanpa_respons_provider)"
            )
            log.info("batch %s is not re-sent: %s", batch_id, why)
            return {**done, "outcome": "answered" if batch["dimuat_sha256"] else "closed", "why": why}
        if not force and batch["sha256"] is not None and _in_place(storage, uri, manifest, batch):
            log.info("batch %s is in place as sent (sha256 %s): not re-sent", batch_id, sha)
            return {**done, "outcome": "in_place"}
        storage.write_bytes(uri, data)
        storage.write_bytes(manifest_uri(uri), manifest)  # last
    log.info("sent %s: %d rows, sha256 %s -> %s", batch_id, rows, sha, uri)
    return {**done, "outcome": "sent"}


# -- inbound ------------------------------------------------------------------------------


def answer_loaded(dsn: str, batch_id: str) -> bool:
    with db.connect(dsn) as conn:
        return _batch(conn, batch_id)["dimuat_sha256"] is not None


def _load_answer(cur, tmp, kind: str) -> int:
    """The answer's rows in temp table jawaban_masuk, with every kind's columns (the checks
    read both layouts)."""
    extra = tuple(c for c in ANSWER_COLUMNS["injeksi"] if c not in ANSWER_COLUMNS[kind])
    return load_csv(cur, tmp, "jawaban_masuk", ANSWER_COLUMNS[kind], gzipped=True, extra=extra)


def _repeated_berhasil(dsn: str, tmp, batch: dict, sha: str) -> str:
    """A second answer to an injection batch: its berhasil rows for requests already berhasil
    are provider anomalies, recorded (kuota.anomali_provider) and never counted again."""
    if batch["jenis"] != "injeksi":
        return ""
    try:
        with db.connect(dsn) as conn, conn.cursor() as cur:
            _load_answer(cur, tmp, "injeksi")
            ((n,),) = db.run(conn, "tahap/injeksi/04_record_anomali", {"batch_id": batch["batch_id"], "sha256": sha})
    except Rejected:
        return ""
    return f"; {n} of its rows report berhasil again for requests already berhasil (provider anomaly)" if n else ""


def _check_rows(conn, batch: dict, rows: int, manifest_rows: int) -> None:
    if rows != manifest_rows:
        raise Rejected(f"the manifest says {manifest_rows} rows, the file has {rows}")
    found = db.run(
        conn,
        "partners/exchange/05_check_jawaban",
        {"batch_id": batch["batch_id"], "jenis": batch["jenis"], "statuses": list(ANSWER_STATUS[batch["jenis"]])},
    )
    if found:
        raise Rejected(offending(found, ("request_id", "status")))
    missing = db.run(conn, "partners/exchange/06_find_jawaban_hilang", {"batch_id": batch["batch_id"]})
    if missing:
        shown = ", ".join(rid for rid, _ in missing)
        raise Rejected(f"{missing[0][1]} of the batch's {batch['baris']} requests are not answered, first: {shown}")


def _quarantine(period: Period, batch: dict, sha: str, why: str) -> str:
    """Move the answer (data and manifest) under karantina/ with an error file, record it, and
    return the error. Copies first, deletes last: a retry after a crash redoes it."""
    exchange_uri = period.exchange()
    data_uri = answer_uri(exchange_uri, batch["provider"], batch["periode"], batch["jenis"], batch["batch_id"])
    manifest_uri = answer_manifest_uri(
        exchange_uri, batch["provider"], batch["periode"], batch["jenis"], batch["batch_id"]
    )
    target = answer_quarantine_uri(
        exchange_uri, batch["provider"], batch["periode"], batch["jenis"], batch["batch_id"], sha[:12]
    )
    message = (
        f"{batch['jenis']} answer of batch {batch['batch_id']} ({batch['provider']}, {batch['periode']}) "
        f"quarantined to {target}.*: {why}"
    )

    def record():
        with db.connect(period.dsn) as conn:
            db.run(
                conn,
                "partners/exchange/09_record_karantina",
                {"batch_id": batch["batch_id"], "sha256": sha, "pesan": message, "karantina": target},
            )

    move_to_quarantine(
        period.files(), [(data_uri, ".csv.gz"), (manifest_uri, ".manifest.json")], target, message, record
    )
    log.error(message)
    return message


def ingest_answer(period: Period, batch_id: str) -> dict:
    """Consume the provider's answer to one batch, or quarantine it whole and raise
    ContractError naming the batch and the first offending rows. One process at a time per
    batch, and never beside the deadline's close: each reads the batch's state once it holds
    the batch, and never beside the period's closing step."""
    dsn, periode = period.dsn, period.periode
    with db.connect(dsn) as conn:
        _batch(conn, batch_id, periode)
    with db.serialized(dsn, batch_id, "batch"), db.serialized(dsn, periode, "close", shared=True):
        lifecycle.require_open(dsn, periode, f"ingesting the answer to {batch_id}", full=False)
        return _ingest_answer(period, batch_id)


def _recipients_moved(batch_id: str, counts: list[tuple]) -> list[tuple]:
    """(status, alasan, n) of the recipients an answer moved. The load reports how many
    recipients it found (found first, then updated where found); it must have moved each one:
    one skipped would stay waiting for an answer already loaded. It fails instead, in the
    load's transaction, which then changes nothing."""
    found = counts[0][3]
    moved = [(status, alasan, n) for status, alasan, n, _ in counts if status is not None]
    if sum(n for *_, n in moved) != found:
        raise RuntimeError(
            f"answer to {batch_id}: {found} recipients waited for it, "
            f"{sum(n for *_, n in moved)} were moved (one changed meanwhile): nothing loaded; run it again"
        )
    return moved


def _ingest_answer(period: Period, batch_id: str) -> dict:
    dsn, storage, exchange_uri = period.dsn, period.files(), period.exchange()
    with db.connect(dsn) as conn:
        batch = _batch(conn, batch_id)
    kind, provider, periode = batch["jenis"], batch["provider"], batch["periode"]
    data_uri = answer_uri(exchange_uri, provider, periode, kind, batch_id)
    manifest_uri = answer_manifest_uri(exchange_uri, provider, periode, kind, batch_id)
    loaded = batch["dimuat_sha256"]
    if not storage.exists(manifest_uri):
        if loaded:
            return {"batch_id": batch_id, "provider": provider, "outcome": "already_loaded"}
        raise ContractError(f"batch {batch_id}: no answer manifest at {manifest_uri} (the answer is not complete)")
    manifest_raw = storage.read_bytes(manifest_uri)
    with tempfile.TemporaryFile() as tmp:
        sha = hashlib.sha256(manifest_raw).hexdigest()  # until the data file is read
        try:
            if not storage.exists(data_uri):
                raise Rejected(f"the manifest has no data file {basename(data_uri)} beside it")
            sidik = storage.fingerprint(data_uri)  # before reading: a rewrite meanwhile is seen next time
            reader = HashingReader(storage.open_read(data_uri))
            shutil.copyfileobj(reader, tmp, 1 << 20)
            sha = reader.hexdigest()
            if sha == loaded:
                with db.connect(dsn) as conn:
                    db.run(conn, "partners/exchange/07_record_sidik", {"batch_id": batch_id, "sidik": sidik})
                log.info("answer to %s seen again with the sha256 already loaded (%s): ignored", batch_id, sha)
                return {"batch_id": batch_id, "provider": provider, "outcome": "duplicate_ignored", "sha256": sha}
            if loaded:
                with db.connect(dsn) as conn:
                    db.run(conn, "partners/exchange/08_record_jawaban_berubah", {"batch_id": batch_id, "sha256": sha})
                raise Rejected(
                    f"a different answer (sha256 {sha}) to a batch already answered and loaded "
                    f"(sha256 {loaded}): the first answer's outcome stands; recorded as a provider "
                    f"anomaly (jawaban_berubah)" + _repeated_berhasil(dsn, tmp, batch, sha)
                )
            manifest = check_manifest(
                manifest_raw,
                {
                    "file": f"{batch_id}.hasil.csv.gz",
                    "provider": provider,
                    "periode": periode,
                    "kind": kind,
                    "batch_id": batch_id,
                },
                "answer manifest",
            )
            if sha != manifest["sha256"]:
                raise Rejected(
                    f"sha256 of the file is {sha}, the manifest says {manifest['sha256']} (corrupted or incomplete)"
                )
            if batch["ditutup"]:
                raise Rejected(
                    f"it arrived after the period's deadline: the batch's {batch['ditutup']} "
                    f"requests are already residu tanpa_respons_provider"
                )
            with db.connect(dsn) as conn, conn.cursor() as cur:
                rows = _load_answer(cur, tmp, kind)
                _check_rows(conn, batch, rows, manifest["rows"])
                counts = _recipients_moved(
                    batch_id,
                    db.run(
                        conn,
                        _SQL[kind]["load"],
                        {"batch_id": batch_id, "periode": periode, "sha256": sha, "baris": rows, "sidik": sidik},
                    ),
                )
        except Rejected as err:
            raise ContractError(_quarantine(period, batch, sha, str(err))) from None
    states = {f"{status}/{alasan}" if alasan else status: n for status, alasan, n in counts}
    log.info("answer to %s loaded (%d rows, sha256 %s): recipients %s", batch_id, rows, sha, states)
    return {
        "batch_id": batch_id,
        "provider": provider,
        "outcome": "loaded",
        "rows": rows,
        "sha256": sha,
        "recipients": states,
    }


@lifecycle.while_open("rechecking loaded answers")
def recheck_answered(period: Period, kind: str) -> dict:
    """Answers already loaded that a provider overwrote since (exchange.md §2: a different
    answer is quarantined and the first stands). One listing per provider, compared by size
    and ETag with what was read at loading; only a changed object is hashed again. A changed
    answer is quarantined, named in the log with both sha256s and recorded as a provider
    anomaly; the batch's outcome does not change, so the run goes on."""
    dsn, storage, exchange_uri, periode = period.dsn, period.files(), period.exchange(), period.periode
    with db.connect(dsn) as conn:
        loaded = db.run(conn, "partners/exchange/10_list_jawaban_dimuat", {"periode": periode, "jenis": kind})
    changed = []
    for provider in sorted({p for _, p, _, _ in loaded}):
        listed = storage.fingerprints_by_name(provider_folder(exchange_uri, provider, periode, kind))
        for batch_id, _, _, sidik in (row for row in loaded if row[1] == provider):
            now = listed.get(basename(answer_uri(exchange_uri, provider, periode, kind, batch_id)))
            if now is None or now == sidik:
                continue
            try:
                ingest_answer(period, batch_id)
            except ContractError as err:
                changed.append(str(err))
    log.info(
        "periode %s %s: %d loaded answers looked at, %d overwritten since (quarantined)",
        periode,
        kind,
        len(loaded),
        len(changed),
    )
    return {"periode": periode, "kind": kind, "loaded": len(loaded), "changed": changed}


@lifecycle.while_open("the deadline's close")
def close_unanswered(period: Period, now: dt.datetime | None = None) -> dict:
    """At the deadline, unanswered requests become residu tanpa_respons_provider; before it,
    nothing happens (the batches are still being waited for). With the period's exchange
    given, an answer data file left without its manifest is quarantined (never consumed)."""
    dsn, periode, storage, exchange_uri = period.dsn, period.periode, period.storage, period.exchange_uri
    deadline = period.required_deadline("the deadline's close")
    now = now or dt.datetime.now(dt.UTC)
    if now < deadline:
        log.info("deadline %s not reached: unanswered requests stay pending", deadline.isoformat())
        return {"periode": periode, "closed_requests": 0, "residu": 0, "deadline_passed": False}
    with db.serialized(dsn, periode, "close"), db.connect(dsn) as conn:
        closed = [db.run(conn, _SQL[kind]["close"], {"periode": periode})[0] for kind in ("validasi", "injeksi")]
    requests, residu = sum(c[0] for c in closed), sum(c[1] for c in closed)
    batches = ", ".join(c[2] for c in closed if c[2])
    if requests:
        log.warning(
            "deadline %s passed: %d unanswered requests closed, %d recipients residu "
            "tanpa_respons_provider (batches: %s)",
            deadline.isoformat(),
            requests,
            residu,
            batches,
        )
    orphans = []
    for batch_id in filter(None, batches.split(", ")) if storage and exchange_uri else ():
        with db.connect(dsn) as conn:
            batch = _batch(conn, batch_id)
        data_uri = answer_uri(exchange_uri, batch["provider"], periode, batch["jenis"], batch_id)
        manifest_uri = answer_manifest_uri(exchange_uri, batch["provider"], periode, batch["jenis"], batch_id)
        if storage.exists(data_uri) and not storage.exists(manifest_uri):
            sha = hashlib.sha256(storage.read_bytes(data_uri)).hexdigest()
            why = "a data file without its manifest at the deadline: never consumed"
            orphans.append(_quarantine(period, batch, sha, why))
    return {
        "periode": periode,
        "closed_requests": requests,
        "residu": residu,
        "deadline_passed": True,
        "quarantined_without_manifest": len(orphans),
    }


def batches_of(period: Period, kind: str = "validasi") -> list[dict]:
    """The period's batches of a kind, in a stable order (the DAG maps over them), each with
    whether its answer is loaded."""
    with db.connect(period.dsn) as conn:
        rows = db.run(
            conn,
            "partners/exchange/03_list_batch",
            {"periode": period.periode, "jenis": kind, "providers": list(PROVIDERS)},
        )
    return [
        {"batch_id": b, "provider": p, "rows": n, "loaded": loaded, "open": pending}
        for b, p, n, loaded, pending in rows
    ]


def open_batches(period: Period, kind: str) -> list[dict]:
    """The batches of a kind with requests still open: what a stage run sends (if needed),
    waits for and ingests. Small dicts: the DAG maps over them."""
    return [
        {"batch_id": b["batch_id"], "provider": b["provider"], "rows": b["rows"]}
        for b in batches_of(period, kind)
        if b["open"]
    ]


def run_exchange(period: Period, kind: str, batch_rows: int = DEFAULT_BATCH_ROWS, poll_seconds: float = 5.0) -> dict:
    """One kind of provider exchange without Airflow (the CLI, the bench, the tests): plan and
    send every provider's batches, then ingest answers as they come until none is pending or
    the period's deadline passes. A quarantined answer is reported and the others go on; the
    batch can be redone alone. The stage DAG runs the same steps, one task each."""
    deadline = period.required_deadline("a whole exchange run")
    storage, exchange_uri, periode = period.files(), period.exchange(), period.periode
    recheck_answered(period, kind)
    for provider in providers_to(period, kind):
        for batch in plan(period, provider, kind, batch_rows):
            send_batch(period, batch["batch_id"])
    pending = {b["batch_id"]: b["provider"] for b in batches_of(period, kind) if not b["loaded"]}
    errors = {}
    while pending and dt.datetime.now(dt.UTC) < deadline:
        for batch, provider in sorted(pending.items()):
            if storage.exists(answer_manifest_uri(exchange_uri, provider, periode, kind, batch)):
                try:
                    ingest_answer(period, batch)
                    del pending[batch]
                except ContractError as err:
                    errors[batch] = str(err)
        if pending:
            time.sleep(poll_seconds)
    closed = close_unanswered(period)
    return {
        "periode": periode,
        "batches": len(batches_of(period, kind)),
        "unanswered": sorted(pending),
        "quarantined": errors,
        "closed": closed,
    }


def redo_batch(period: Period, batch_id: str, wait_seconds: float = 600, poll_seconds: float = 5.0) -> dict:
    """Redo one failed batch alone (CLI; in the UI: clear its send_batch with downstream):
    re-send the same bytes, wait for the provider's new answer, ingest it. Other batches and
    providers are not touched. Only a batch never answered or whose answer was quarantined is
    re-sent: a re-send asks the provider to answer (and, for injeksi, to deliver) again."""
    with db.connect(period.dsn) as conn:
        batch = _batch(conn, batch_id, period.periode)
    if batch["dimuat_sha256"]:
        raise ContractError(
            f"batch {batch_id}: not re-sent: its answer is loaded already (sha256 "
            f"{batch['dimuat_sha256']}); a re-send would ask {batch['provider']} to answer"
            f"{' and inject' if batch['jenis'] == 'injeksi' else ''} again. Nothing to redo."
        )
    if batch["ditutup"]:
        raise ContractError(
            f"batch {batch_id}: not re-sent: the period's deadline closed its {batch['ditutup']} "
            f"requests (residu tanpa_respons_provider); the records can be corrected for the "
            f"next period."
        )
    sent = send_batch(period, batch_id, force=True)
    manifest = answer_manifest_uri(period.exchange(), batch["provider"], batch["periode"], batch["jenis"], batch_id)
    storage = period.files()
    until = time.monotonic() + wait_seconds
    while not storage.exists(manifest):
        if time.monotonic() > until:
            raise ContractError(f"batch {batch_id}: re-sent, but no answer at {manifest} within {wait_seconds:.0f} s")
        time.sleep(poll_seconds)
    return {**sent, **ingest_answer(period, batch_id)}


@dataclasses.dataclass(frozen=True)
class ProviderExchange:
    """One kind of provider exchange (validasi, injeksi) as a stage's task group drives it:
    the same steps for both kinds, bound to the kind once (kuota.tahap.validasi.EXCHANGE,
    kuota.tahap.injeksi.EXCHANGE)."""

    kind: str

    def providers(self, period: Period) -> list[str]:
        return providers_to(period, self.kind)

    def plan(self, period: Period, provider: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> list[dict]:
        return plan(period, provider, self.kind, batch_rows)

    def batches(self, period: Period) -> list[dict]:
        return batches_of(period, self.kind)

    def open_batches(self, period: Period) -> list[dict]:
        return open_batches(period, self.kind)

    def recheck(self, period: Period) -> dict:
        return recheck_answered(period, self.kind)

    def run(self, period: Period, batch_rows: int = DEFAULT_BATCH_ROWS, poll_seconds: float = 5.0) -> dict:
        return run_exchange(period, self.kind, batch_rows, poll_seconds)
