"""A stand-in for the schools and the portal's verifiers, written only from the contract
(exchange.md §3), through the partners' own reading of it (partner_contract), never the
pipeline's (kuota.partners).

A separate process (``python -m kuota_tools simulate-schools``), never imported by the pipeline. It polls the
portal and, like the schools do:
- corrects a share of the numbers its residu file lists (reasons a number can fix): for each
  version of ``residu/<npsn>.csv`` once, as ``koreksi/<npsn>-<sha of that version>.csv``, its
  manifest naming that school's ``npsn`` (the operator who submits it is that school's);
- decides every SPTJM issued (``sptjm/<npsn>/<sptjm_no>.csv`` with its manifest) a delay after
  it appeared: approved, or rejected for a share of them, in one ``persetujuan/`` file per pass.
``only`` plays one of the two parts.

Every choice is a function of the seed and the record or SPTJM, so a restarted simulator
makes the same ones; the files it wrote are read back at start (what is decided stays decided).
A residu file whose manifest disagrees with it is never consumed (exchange.md, Conventions):
that version is refused, logged and reported once, and nothing in it corrected.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
import time

from kuota.infra.storage import Storage, join

from .partner_contract import (
    CORRECTABLE_REASONS,
    KEPUTUSAN,
    PORTAL_IN_COLUMNS,
    RESIDU_COLUMNS,
    Refused,
    check_received,
    csv_bytes,
    manifest,
    manifest_name,
)
from .simulator import poll

log = logging.getLogger(__name__)

DEFAULT_CORRECT_SHARE = 0.5
DEFAULT_REJECT_SHARE = 0.05
# New numbers a school types: partner prefixes (2020), in the ways operators type them.
_PREFIXES = ("0812", "0813", "0821", "0852", "0857", "0815", "0818", "0878", "0838", "0896", "0881")
_WIB = dt.timezone(dt.timedelta(hours=7))


def _bits(*parts) -> int:
    """64 bits that depend only on the parts (the seed among them)."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def _draw(*parts) -> float:
    return _bits(*parts) / 2**64


class SchoolSimulator:
    def __init__(
        self,
        storage: Storage,
        exchange_uri: str,
        periode: str,
        correct_share: float = DEFAULT_CORRECT_SHARE,
        reject_share: float = DEFAULT_REJECT_SHARE,
        delay_seconds: float = 0.0,
        seed: int = 2020,
        only: str | None = None,
    ):
        for name, share in (("correct_share", correct_share), ("reject_share", reject_share)):
            if not 0 <= share <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {share}")
        # Its own reading of exchange.md §3, not the pipeline's layout: a misreading is never shared.
        self.storage, self.root, self.periode = storage, join(exchange_uri, "portal", periode), periode
        self.correct_share, self.reject_share, self.delay, self.seed = correct_share, reject_share, delay_seconds, seed
        if only not in (None, "koreksi", "persetujuan"):
            raise ValueError(f"only: koreksi or persetujuan, not {only!r}")
        self.only = only
        self.corrected: set[str] = set()
        self.refused: set[str] = set()  # residu versions whose manifest disagreed with the file
        self.decided: set[str] | None = None

    def new_number(self, record_id: str, version: str) -> str:
        draw = _bits(self.seed, "nomor", record_id, version)
        prefix, rest = _PREFIXES[draw % len(_PREFIXES)], f"{draw % 10**8:08d}"
        return (f"{prefix}-{rest[:4]}-{rest[4:]}", f"+62 {prefix[1:]} {rest[:4]} {rest[4:]}", prefix + rest)[draw % 3]

    def rejects(self, sptjm_no: str) -> bool:
        return _draw(self.seed, "sptjm", sptjm_no) < self.reject_share

    def step(self, now: float | None = None) -> list[dict]:
        """One pass: corrections for residu files not seen yet, decisions for SPTJMs due."""
        now = time.time() if now is None else now
        events = (self._correct(now) if self.only != "persetujuan" else []) + (
            self._decide(now) if self.only != "koreksi" else []
        )
        for event in events:
            log.info("school simulator: %s", event)
        return events

    def _write(self, kind: str, name: str, rows: list[tuple], **fields) -> None:
        data = csv_bytes(PORTAL_IN_COLUMNS[kind], rows)
        folder = join(self.root, kind)
        self.storage.write_bytes(join(folder, f"{name}.csv"), data)
        self.storage.write_bytes(
            join(folder, manifest_name(f"{name}.csv")),  # last
            manifest(f"{name}.csv", data, len(rows), **fields),
        )

    def _correct(self, now: float) -> list[dict]:
        folder = join(self.root, "residu")
        stored = self.storage.modified_by_name(folder)
        written = set(self.storage.list_names(join(self.root, "koreksi")))
        events = []
        for name in sorted(stored):
            npsn = name.removesuffix(".manifest.json")
            if not re.fullmatch(r"[0-9]{8}", npsn) or now - stored[name] < self.delay:
                continue
            manifest_raw = self.storage.read_bytes(join(folder, name))
            try:  # the version: the sha256 its manifest gives the file
                version = str(json.loads(manifest_raw)["sha256"])[:12]
            except (ValueError, KeyError, TypeError):
                version = hashlib.sha256(manifest_raw).hexdigest()[:12]  # refused below
            key = f"{npsn}-{version}"
            if key in self.refused:
                continue
            if key in self.corrected or manifest_name(f"{key}.csv") in written:
                self.corrected.add(key)
                continue
            try:
                if f"{npsn}.csv" not in stored:
                    raise Refused(f"{name} has no data file {npsn}.csv beside it")
                data = self.storage.read_bytes(join(folder, f"{npsn}.csv"))
                _, residu = check_received(f"{npsn}.csv", data, manifest_raw, RESIDU_COLUMNS)
            except Refused as err:  # never consumed; a file rewritten meanwhile has a new manifest next pass
                self.refused.add(key)
                log.error("school simulator: residu of %s refused: %s", npsn, err)
                events.append({"action": "refused", "npsn": npsn, "error": str(err)})
                continue
            self.corrected.add(key)
            at = dt.datetime.fromtimestamp(now, _WIB).isoformat(timespec="seconds")
            rows = [
                (
                    r["jenis"],
                    r["id"],
                    self.new_number(r["id"], version),
                    "orang_tua" if r["jenis"] == "pd" else "sendiri",
                    at,
                )
                for r in (dict(zip(RESIDU_COLUMNS, row, strict=True)) for row in residu)
                if r["alasan"] in CORRECTABLE_REASONS
                and _draw(self.seed, "koreksi", r["id"], version) < self.correct_share
            ]
            if rows:
                self._write("koreksi", key, rows, npsn=npsn)
                events.append({"action": "corrected", "npsn": npsn, "records": len(rows), "file": f"{key}.csv"})
        return events

    def _already_decided(self) -> set[str]:
        folder = join(self.root, "persetujuan")
        decided = set()
        for name in self.storage.list_names(folder):
            if name.endswith(".csv"):
                reader = csv.DictReader(io.StringIO(self.storage.read_bytes(join(folder, name)).decode()))
                decided |= {r["sptjm_no"] for r in reader}
        return decided

    def _decide(self, now: float) -> list[dict]:
        if self.decided is None:
            self.decided = self._already_decided()
        due = []
        for rel, at in self.storage.modified_by_name(join(self.root, "sptjm"), recursive=True).items():
            npsn, _, name = rel.partition("/")
            sptjm_no = name.removesuffix(".manifest.json")
            if name.endswith(".manifest.json") and sptjm_no not in self.decided and now - at >= self.delay:
                due.append((sptjm_no, npsn))
        if not due:
            return []
        waktu = dt.datetime.fromtimestamp(now, _WIB).isoformat(timespec="seconds")
        approve, reject = KEPUTUSAN
        rows = [(no, npsn, reject if self.rejects(no) else approve, waktu) for no, npsn in sorted(due)]
        name = "keputusan-" + hashlib.sha256("\n".join(no for no, _ in sorted(due)).encode()).hexdigest()[:12]
        self._write("persetujuan", name, rows)
        self.decided |= {no for no, _ in due}
        rejected = sum(r[2] == reject for r in rows)
        return [{"action": "decided", "file": f"{name}.csv", "approved": len(rows) - rejected, "rejected": rejected}]

    def run(self, poll_seconds: float = 2.0, idle_exit_seconds: float | None = None) -> None:
        poll(self.step, poll_seconds, idle_exit_seconds)
