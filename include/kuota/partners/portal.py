"""Files schools send through the verification portal (exchange.md §3): corrections
(``koreksi/``) and SPTJM decisions (``persetujuan/``).

Each file is consumed once, only when its manifest agrees with it and every row keeps the
contract; otherwise it is quarantined whole under ``karantina/portal/`` with an error file
naming the file, the line and the rule, and nothing from it is loaded. One school's bad file
does not hold up the others: the stage goes on and the run summary lists it. The sha256 of
every file looked at is recorded: the same file again is ignored; a loaded file whose bytes
changed is quarantined and the first stands.

A corrections file is bound to the school whose operator submitted it (its manifest's
``npsn``; the portal authenticates operators): a row for a record of another school is refused
and reported, the file's other rows applied, so one school's operator can never change another
school's pupil. A file that names no school of the period's cutoff is quarantined whole.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile

from ..infra import db
from ..infra.errors import Rejected
from ..infra.storage import join
from ..periode import Period
from .contract import CORRECTABLE_REASONS, PORTAL_IN_COLUMNS
from .inbound import load_csv, move_to_quarantine, offending
from .layout import portal_folder, portal_quarantine_uri
from .manifest import HashingReader, check_manifest

log = logging.getLogger(__name__)

# The values each check names for an offending row, after its line.
_SHOWN = {"koreksi": ("jenis", "id"), "persetujuan": ("sptjm_no", "npsn")}
# Each kind's checks and load, in the folder of the stage's group that takes it.
_SQL = {
    "koreksi": {"check": "tahap/koreksi/02_check_koreksi", "load": "tahap/koreksi/03_load_koreksi"},
    "persetujuan": {"check": "tahap/sptjm/04_check_persetujuan", "load": "tahap/sptjm/05_load_persetujuan"},
}
_NPSN = re.compile(r"[0-9]{8}")
_NPSN_RULE = "a koreksi manifest carries npsn, the school whose operator submitted the file (exchange.md §3)"


def loaded_files(conn, periode: str, kind: str) -> dict[str, str]:
    """name -> sha256 of the files of a kind already loaded in the period."""
    return dict(db.run(conn, "partners/portal/01_list_berkas_dimuat", {"periode": periode, "jenis": kind}))


def _submitting_school(conn, periode: str, manifest: dict) -> str:
    """The npsn that binds a corrections file to the one school whose records it may correct.
    Without one the rows cannot be told apart from another school's, so the file is refused
    whole rather than trusted."""
    npsn = manifest.get("npsn")
    if npsn is None:
        raise Rejected(
            f"the manifest has no npsn (rule: {_NPSN_RULE}): send the file again under a new name, "
            f"its manifest naming the submitting school's npsn"
        )
    if not isinstance(npsn, str) or not _NPSN.fullmatch(npsn):
        raise Rejected(
            f"the manifest's npsn is {npsn!r}, not 8 digits in a JSON string (rule: {_NPSN_RULE}): "
            f"send the file again under a new name, with the submitting school's npsn"
        )
    found = db.run(conn, "tahap/koreksi/01_find_sekolah", {"periode": periode, "npsn": npsn})
    if not found:  # not the file's fault: leave it in the portal and fail the task
        raise RuntimeError(f"periode {periode} is not opened: run kuota_bulanan for it before taking corrections")
    ((cutoff_date, ada),) = found
    if not ada:
        raise Rejected(
            f"the manifest's npsn {npsn} is not a school of the cutoff of periode {periode} "
            f"({cutoff_date}) (rule: {_NPSN_RULE}): send the file again under a new name, with the "
            f"submitting school's npsn; a school new since the cutoff corrects in Dapodik for the next one"
        )
    return npsn


def _quarantine(period: Period, kind: str, name: str, data_name: str, sha: str, why: str) -> str:
    periode = period.periode
    folder = portal_folder(period.exchange(), periode, kind)
    target = portal_quarantine_uri(period.exchange(), periode, kind, name, sha[:12])
    message = f"{kind} file {folder}/{data_name} quarantined to {target}.*: {why}"

    def record():
        with db.connect(period.dsn) as conn:
            db.run(
                conn,
                "partners/portal/02_record_karantina",
                {"periode": periode, "jenis": kind, "nama": name, "sha256": sha, "pesan": message, "karantina": target},
            )

    suffix = data_name[len(name) :]
    move_to_quarantine(
        period.files(),
        [(join(folder, data_name), suffix), (join(folder, f"{name}.manifest.json"), ".manifest.json")],
        target,
        message,
        record,
    )
    log.error(message)
    return message


def _ingest_file(period: Period, kind: str, name: str, present: set[str], loaded: dict[str, str]) -> dict:
    dsn, storage, periode = period.dsn, period.files(), period.periode
    folder = portal_folder(period.exchange(), periode, kind)
    manifest_raw = storage.read_bytes(join(folder, f"{name}.manifest.json"))
    data_name = next((n for n in (f"{name}.csv", f"{name}.csv.gz") if n in present), f"{name}.csv")
    with tempfile.TemporaryFile() as tmp:
        sha = hashlib.sha256(manifest_raw).hexdigest()  # until the data file is read
        try:
            manifest = check_manifest(manifest_raw, {}, "manifest")
            if manifest.get("file") not in (f"{name}.csv", f"{name}.csv.gz"):
                raise Rejected(
                    f"the manifest names file {manifest.get('file')!r}, expected {name}.csv or {name}.csv.gz"
                )
            data_name = manifest["file"]
            if data_name not in present:
                raise Rejected(f"the manifest has no data file {data_name} beside it")
            reader = HashingReader(storage.open_read(join(folder, data_name)))
            shutil.copyfileobj(reader, tmp, 1 << 20)
            sha = reader.hexdigest()
            if loaded.get(name) == sha:
                return {"file": data_name, "outcome": "already_loaded"}
            if sha != manifest["sha256"]:
                raise Rejected(
                    f"sha256 of the file is {sha}, the manifest says {manifest['sha256']} (corrupted or incomplete)"
                )
            if name in loaded:
                raise Rejected(
                    f"a file of this name was loaded already with other bytes (sha256 {loaded[name]}): "
                    f"the first stands; send changes under a new name"
                )
            with db.connect(dsn) as conn, conn.cursor() as cur:
                npsn = _submitting_school(conn, periode, manifest) if kind == "koreksi" else None
                rows = load_csv(cur, tmp, "berkas_masuk", PORTAL_IN_COLUMNS[kind], data_name.endswith(".gz"))
                if rows != manifest["rows"]:
                    raise Rejected(f"the manifest says {manifest['rows']} rows, the file has {rows}")
                found = db.run(conn, _SQL[kind]["check"], {"periode": periode})
                if found:
                    raise Rejected(offending(found, _SHOWN[kind]))
                counts = db.run(
                    conn,
                    _SQL[kind]["load"],
                    {
                        "periode": periode,
                        "berkas": data_name,
                        "nama": name,
                        "sha256": sha,
                        "baris": rows,
                        "tahap": period.tahap,
                        "correctable": list(CORRECTABLE_REASONS),
                        "npsn": npsn,
                    },
                )
        except Rejected as err:
            return {
                "file": data_name,
                "outcome": "quarantined",
                "error": _quarantine(period, kind, name, data_name, sha, str(err)),
            }
    result = {"file": data_name, "outcome": "loaded", "rows": rows, **{k: n for k, n in counts}}
    log.info("%s file %s loaded: %s", kind, data_name, result)
    if result.get("koreksi_ditolak"):  # ids only: the log never shows a name, NISN, NIK or number
        with db.connect(dsn) as conn:
            refused = db.run(conn, "tahap/koreksi/04_list_koreksi_ditolak", {"periode": periode, "berkas": data_name})
        for line, jenis, record, why, _ in refused:
            log.warning("%s line %d (%s %s): correction refused: %s", data_name, line, jenis, record, why)
        if refused and refused[0][-1] > len(refused):
            log.warning(
                "%s: %d more corrections refused, each with its line and why in kuota.koreksi (hasil = 'ditolak')",
                data_name,
                refused[0][-1] - len(refused),
            )
    return result


def ingest(period: Period, kind: str) -> dict:
    """Every complete file (its manifest present) of a kind waiting in the portal, in name
    order, taken in the period's stage; returns the counts and the errors of quarantined
    files. One process at a time per kind: a second run waits, then finds the files loaded."""
    periode = period.periode
    folder = portal_folder(period.exchange(), periode, kind)
    with db.serialized(period.dsn, periode, f"portal {kind}"):
        present = set(period.files().list_names(folder))
        with db.connect(period.dsn) as conn:
            loaded = loaded_files(conn, periode, kind)
        outcomes = [
            _ingest_file(period, kind, m.removesuffix(".manifest.json"), present, loaded)
            for m in sorted(present)
            if m.endswith(".manifest.json")
        ]
    summary = {
        "periode": periode,
        "kind": kind,
        "files": len(outcomes),
        "loaded": sum(o["outcome"] == "loaded" for o in outcomes),
        "quarantined": [o["error"] for o in outcomes if o["outcome"] == "quarantined"],
    }
    for key in {k for o in outcomes if o["outcome"] == "loaded" for k in o} - {"file", "outcome"}:
        summary[key] = sum(o.get(key, 0) for o in outcomes if o["outcome"] == "loaded")
    return summary
