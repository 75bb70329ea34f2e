"""Files schools send through the verification portal (exchange.md §3): corrections
(``koreksi/``) and SPTJM decisions (``persetujuan/``).

Each file is consumed once, only when its manifest agrees with it and every row keeps the
contract; otherwise it is quarantined whole under ``karantina/portal/`` with an error file
naming the file, the line and the rule, and nothing from it is loaded. One school's bad file
does not hold up the others: the stage goes on and the run summary lists it. The sha256 of
every file looked at is recorded: the same file again is ignored; a loaded file whose bytes
changed is quarantined and the first stands.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import tempfile

from . import db
from .contract import CORRECTABLE_REASONS, PORTAL_IN_COLUMNS, portal_root
from .inbound import Rejected, check_manifest, load_csv, move_to_quarantine, offending
from .manifest import HashingReader
from .storage import Storage, join

log = logging.getLogger(__name__)

# The values each check names for an offending row, after its line.
_SHOWN = {"koreksi": ("jenis", "id"), "persetujuan": ("sptjm_no", "npsn")}


def _loaded(conn, periode: str, kind: str) -> dict[str, str]:
    """name -> sha256 of the files of a kind already loaded in the period."""
    with conn.cursor() as cur:
        cur.execute("SELECT nama, sha256 FROM kuota.berkas_portal WHERE periode = %s AND jenis = %s "
                    "AND hasil = 'dimuat'", (periode, kind))
        return dict(cur.fetchall())


def _quarantine(dsn, storage, exchange_uri, periode, kind, name, data_name, sha, why) -> str:
    folder = join(portal_root(exchange_uri, periode), kind)
    target = f"{exchange_uri.rstrip('/')}/karantina/portal/{periode}/{kind}/{name}-{sha[:12]}"
    message = f"{kind} file {folder}/{data_name} quarantined to {target}.*: {why}"

    def record():
        with db.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, pesan, karantina)
                           VALUES (%s, %s, %s, %s, 'dikarantina', %s, %s)
                           ON CONFLICT (periode, jenis, nama, sha256) DO UPDATE SET diterima_at = now()""",
                        (periode, kind, name, sha, message, target))

    suffix = data_name[len(name):]
    move_to_quarantine(storage, [(join(folder, data_name), suffix), (join(folder, f"{name}.manifest.json"),
                                                                      ".manifest.json")], target, message, record)
    log.error(message)
    return message


def _ingest_file(dsn: str, storage: Storage, exchange_uri: str, periode: str, kind: str, name: str,
                 present: set[str], loaded: dict[str, str], tahap: int) -> dict:
    folder = join(portal_root(exchange_uri, periode), kind)
    manifest_raw = storage.read_bytes(join(folder, f"{name}.manifest.json"))
    data_name = next((n for n in (f"{name}.csv", f"{name}.csv.gz") if n in present), f"{name}.csv")
    with tempfile.TemporaryFile() as tmp:
        sha = hashlib.sha256(manifest_raw).hexdigest()  # until the data file is read
        try:
            manifest = check_manifest(manifest_raw, {}, "manifest")
            if manifest.get("file") not in (f"{name}.csv", f"{name}.csv.gz"):
                raise Rejected(f"the manifest names file {manifest.get('file')!r}, expected {name}.csv or {name}.csv.gz")
            data_name = manifest["file"]
            if data_name not in present:
                raise Rejected(f"the manifest has no data file {data_name} beside it")
            reader = HashingReader(storage.open_read(join(folder, data_name)))
            shutil.copyfileobj(reader, tmp, 1 << 20)
            sha = reader.hexdigest()
            if loaded.get(name) == sha:
                return {"file": data_name, "outcome": "already_loaded"}
            if sha != manifest["sha256"]:
                raise Rejected(f"sha256 of the file is {sha}, the manifest says {manifest['sha256']} "
                               f"(corrupted or incomplete)")
            if name in loaded:
                raise Rejected(f"a file of this name was loaded already with other bytes (sha256 {loaded[name]}): "
                               f"the first stands; send changes under a new name")
            with db.connect(dsn) as conn, conn.cursor() as cur:
                rows = load_csv(cur, tmp, "berkas_masuk", PORTAL_IN_COLUMNS[kind], data_name.endswith(".gz"))
                if rows != manifest["rows"]:
                    raise Rejected(f"the manifest says {manifest['rows']} rows, the file has {rows}")
                found = db.run(conn, f"{kind}_periksa", {"periode": periode})
                if found:
                    raise Rejected(offending(found, _SHOWN[kind]))
                counts = db.run(conn, f"{kind}_muat", {"periode": periode, "berkas": data_name, "nama": name,
                                                       "sha256": sha, "baris": rows, "tahap": tahap,
                                                       "correctable": list(CORRECTABLE_REASONS)})
        except Rejected as err:
            return {"file": data_name, "outcome": "quarantined",
                    "error": _quarantine(dsn, storage, exchange_uri, periode, kind, name, data_name, sha, str(err))}
    result = {"file": data_name, "outcome": "loaded", "rows": rows, **{k: n for k, n in counts}}
    log.info("%s file %s loaded: %s", kind, data_name, result)
    if result.get("koreksi_ditolak"):
        with db.connect(dsn) as conn:
            for line, jenis, record, why in db.run(conn, "koreksi_ditolak", {"periode": periode, "berkas": data_name}):
                log.warning("%s line %d (%s %s): correction refused: %s", data_name, line, jenis, record, why)
    return result


def ingest(dsn: str, storage: Storage, exchange_uri: str, periode: str, kind: str, tahap: int) -> dict:
    """Every complete file (its manifest present) of a kind waiting in the portal, in name
    order; returns the counts and the errors of quarantined files."""
    folder = join(portal_root(exchange_uri, periode), kind)
    present = set(storage.list_names(folder))
    with db.connect(dsn) as conn:
        loaded = _loaded(conn, periode, kind)
    outcomes = [_ingest_file(dsn, storage, exchange_uri, periode, kind, m.removesuffix(".manifest.json"),
                             present, loaded, tahap)
                for m in sorted(present) if m.endswith(".manifest.json")]
    summary = {"periode": periode, "kind": kind, "files": len(outcomes),
               "loaded": sum(o["outcome"] == "loaded" for o in outcomes),
               "quarantined": [o["error"] for o in outcomes if o["outcome"] == "quarantined"]}
    for key in {k for o in outcomes if o["outcome"] == "loaded" for k in o} - {"file", "outcome"}:
        summary[key] = sum(o.get(key, 0) for o in outcomes if o["outcome"] == "loaded")
    return summary


def ingest_corrections(dsn: str, storage: Storage, exchange_uri: str, periode: str, tahap: int,
                       deadline: dt.datetime) -> dict:
    """The schools' corrections, while the period can still validate them: after its deadline
    nothing new is asked of a provider, so a correction would only leave its record waiting.
    Late files stay in the portal, unconsumed; the school corrects in Dapodik for the next cutoff."""
    if dt.datetime.now(dt.timezone.utc) >= deadline:
        folder = join(portal_root(exchange_uri, periode), "koreksi")
        with db.connect(dsn) as conn:
            loaded = _loaded(conn, periode, "koreksi")
        late = [m for m in storage.list_names(folder)
                if m.endswith(".manifest.json") and m.removesuffix(".manifest.json") not in loaded]
        if late:
            log.warning("periode %s: the deadline %s has passed: %d corrections files left unconsumed (%s)", periode,
                        deadline.isoformat(), len(late), ", ".join(late[:5]))
        return {"periode": periode, "kind": "koreksi", "files": 0, "loaded": 0, "quarantined": [],
                "after_deadline": len(late)}
    return ingest(dsn, storage, exchange_uri, periode, "koreksi", tahap)
