"""A stand-in for the mobile providers, written only from the contract (exchange.md §2), through
the partners' own reading of it (partner_contract), never the pipeline's (kuota.partners).

It is a separate process (``python -m kuota_tools simulate-providers``), never imported by the pipeline: it
polls the exchange for batches, answers them, and can misbehave on purpose. Answers are a
function of the seed and the number (the same number always gets the same status), so an
answer to a re-sent batch is byte-identical to the first one.

Faults, each for the first COUNT batches of a provider (or of any provider), once per batch:
``no_answer`` (until the batch is re-sent), ``late`` (answers only after --late-seconds),
``missing_rows``, ``corrupt`` (bytes changed after the manifest was written),
``unknown_status``, ``foreign_rows`` (a request_id that was not in the batch), ``duplicate``
(the same answer written again later), ``changed`` (a different answer written later),
``repeated_row`` (the first row twice). A re-sent batch is answered again, cleanly.

Validation answers follow the status shares; injection answers are berhasil (at a time after
the batch was sent) except a share ``gagal_share`` of numbers, gagal with a reason.

Like every partner, it consumes a batch only when the batch's manifest agrees with it (exchange.md,
Conventions: rows, sha256, and the fields §2 names): a batch that does not is refused, logged
and reported once, and not answered until it is sent again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import logging
import time

from kuota.infra.storage import Storage, join

from .partner_contract import (
    ANSWER_COLUMNS,
    ANSWER_STATUS,
    BATCH_COLUMNS,
    KINDS,
    PROVIDERS,
    Refused,
    check_received,
    csv_bytes,
    gzip_bytes,
    manifest,
    manifest_name,
)

log = logging.getLogger(__name__)

# Public 2020 figures: providers found about 57% of well-formed numbers active (domain.md, Scale).
DEFAULT_SHARES = {"aktif": 0.57, "pascabayar": 0.03, "tidak_aktif": 0.22, "masa_tenggang": 0.10, "tidak_dikenal": 0.08}
FAULTS = (
    "no_answer",
    "late",
    "missing_rows",
    "corrupt",
    "unknown_status",
    "foreign_rows",
    "duplicate",
    "changed",
    "repeated_row",
)
# Reasons a provider gives for a failed injection (a share of gagal_share of the requests).
GAGAL_REASONS = ("nomor_tidak_aktif_saat_injeksi", "kartu_diblokir", "gangguan_sistem")
DEFAULT_GAGAL_SHARE = 0.02


@dataclasses.dataclass
class Fault:
    kind: str
    provider: str | None = None  # None: any provider
    count: int = 1
    batch_kind: str | None = None  # validasi or injeksi; None: either

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``KIND[:PROVIDER[:COUNT[:BATCH_KIND]]]``, e.g. ``missing_rows:xl``, ``no_answer::2`` or
        ``duplicate:telkomsel:1:injeksi``."""
        kind, provider, count, batch_kind = (text.split(":") + ["", "", ""])[:4]
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {', '.join(FAULTS)}")
        if provider and provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r} in fault {text!r}")
        if batch_kind and batch_kind not in KINDS:
            raise ValueError(f"unknown batch kind {batch_kind!r} in fault {text!r}: validasi or injeksi")
        return cls(kind, provider or None, int(count or 1), batch_kind or None)


def parse_shares(text: str | None) -> dict[str, float]:
    """``aktif=0.6,tidak_aktif=0.3,...``: missing statuses get 0; the shares must add up to 1."""
    if not text:
        return dict(DEFAULT_SHARES)
    shares = {status: 0.0 for status in DEFAULT_SHARES}
    for part in text.split(","):
        status, _, value = part.partition("=")
        if status.strip() not in shares:
            raise ValueError(f"unknown status {status!r}: one of {', '.join(shares)}")
        shares[status.strip()] = float(value)
    if abs(sum(shares.values()) - 1) > 1e-6:
        raise ValueError(f"shares add up to {sum(shares.values())}, not 1")
    return shares


@dataclasses.dataclass
class _Batch:
    sent_at: float
    fault: str | None
    answered: bool = False
    second_written: bool = False
    refused: bool = False  # its manifest disagreed with it: not answered until sent again


class ProviderSimulator:
    def __init__(
        self,
        storage: Storage,
        exchange_uri: str,
        periode: str,
        providers=PROVIDERS,
        shares: dict | None = None,
        faults=(),
        delay_seconds: float = 0.0,
        late_seconds: float = 60.0,
        seed: int = 2020,
        gagal_share: float = DEFAULT_GAGAL_SHARE,
    ):
        self.storage, self.exchange_uri, self.periode = storage, exchange_uri, periode
        self.providers = tuple(providers)
        self.shares = shares or dict(DEFAULT_SHARES)
        self.faults = [dataclasses.replace(f) for f in faults]
        self.delay, self.late, self.seed, self.gagal_share = delay_seconds, late_seconds, seed, gagal_share
        self.batches: dict[str, _Batch] = {}

    def status_of(self, msisdn: str) -> str:
        """The provider's view of a number: stable for a seed."""
        draw = int.from_bytes(hashlib.sha256(f"{self.seed}:{msisdn}".encode()).digest()[:8], "big") / 2**64
        total = 0.0
        for status, share in self.shares.items():
            total += share
            if draw < total:
                return status
        return next(reversed(self.shares))

    def _take_fault(self, provider: str, kind: str) -> str | None:
        for fault in self.faults:
            if fault.count > 0 and fault.provider in (None, provider) and fault.batch_kind in (None, kind):
                fault.count -= 1
                return fault.kind
        return None

    def step(self, now: float | None = None) -> list[dict]:
        """One pass over every provider's batch folders (validasi, injeksi); returns what was done."""
        now = time.time() if now is None else now
        events = []
        for provider, kind in itertools.product(self.providers, KINDS):
            # Its own reading of exchange.md §2, not the pipeline's layout: a misreading is never shared.
            folder = join(self.exchange_uri, "provider", provider, self.periode, kind)
            stored = self.storage.modified_by_name(folder)
            for name in sorted(stored):
                if not name.endswith(".manifest.json") or ".hasil." in name:
                    continue
                batch_id = name.removesuffix(".manifest.json")
                event = self._visit(folder, provider, kind, batch_id, stored, now)
                if event:
                    events.append({"provider": provider, "kind": kind, "batch_id": batch_id, **event})
        for event in events:
            log.info("simulator: %s %s: %s", event["provider"], event["batch_id"], event["action"])
        return events

    def _visit(self, folder: str, provider: str, kind: str, batch_id: str, stored: dict, now: float) -> dict | None:
        sent_at = stored[f"{batch_id}.manifest.json"]
        state = self.batches.get(batch_id)
        if state is None:
            state = self.batches[batch_id] = _Batch(sent_at, self._take_fault(provider, kind))
        elif sent_at > state.sent_at:  # re-sent: answer again, cleanly
            state = self.batches[batch_id] = _Batch(sent_at, None)
        answer_manifest = manifest_name(f"{batch_id}.hasil.csv.gz")
        if state.refused:
            return None
        if state.answered:
            if state.fault in ("duplicate", "changed") and not state.second_written:
                state.second_written = True
                try:
                    self._answer(folder, provider, kind, batch_id, "changed" if state.fault == "changed" else None)
                except Refused as err:  # the batch changed under its key since the first answer
                    log.error("simulator: %s %s refused, not answered again: %s", provider, batch_id, err)
                    return {"action": f"refused: {err}", "fault": state.fault}
                return {"action": f"answer written again ({state.fault})", "fault": state.fault}
            return None
        if answer_manifest in stored:  # answered by an earlier process
            state.answered = True
            return None
        if state.fault == "no_answer":
            return None
        wait = self.late if state.fault == "late" else self.delay
        if now - sent_at < wait:
            return None
        fault = state.fault if state.fault not in ("duplicate", "changed", "late") else None
        try:
            rows = self._answer(folder, provider, kind, batch_id, fault)
        except Refused as err:  # never consumed (exchange.md, Conventions): no answer to it
            state.refused = True
            log.error("simulator: %s %s refused, not answered: %s", provider, batch_id, err)
            return {"action": f"refused: {err}", "fault": None}
        state.answered = True
        return {
            "action": f"answered {rows} rows" + (f" with fault {state.fault}" if state.fault else ""),
            "fault": state.fault,
        }

    def injection_of(self, request_id: str, msisdn: str, sent_at: str) -> list[str]:
        """The provider's injection outcome for one request: stable for a seed; berhasil at a
        time after the batch was sent, or gagal with a reason."""
        draw = int.from_bytes(hashlib.sha256(f"{self.seed}:injeksi:{msisdn}".encode()).digest()[:8], "big") / 2**64
        if draw < self.gagal_share:
            return [request_id, msisdn, "gagal", GAGAL_REASONS[int(draw * 1e6) % len(GAGAL_REASONS)], ""]
        when = dt.datetime.fromisoformat(sent_at) + dt.timedelta(seconds=60 + int(draw * 3600))
        return [request_id, msisdn, "berhasil", "", when.isoformat(timespec="seconds")]

    def _read_batch(self, folder: str, provider: str, kind: str, batch_id: str) -> tuple[str, list[list[str]]]:
        """The batch's created_at and rows, once its manifest agrees with it (or Refused)."""
        name = f"{batch_id}.csv.gz"
        manifest_raw = self.storage.read_bytes(join(folder, manifest_name(name)))
        if not self.storage.exists(join(folder, name)):
            raise Refused(f"{manifest_name(name)} has no data file {name} beside it")
        sent, rows = check_received(
            name,
            self.storage.read_bytes(join(folder, name)),
            manifest_raw,
            BATCH_COLUMNS[kind],
            provider=provider,
            periode=self.periode,
            kind=kind,
            batch_id=batch_id,
        )
        return sent["created_at"], rows

    def _answer(self, folder: str, provider: str, kind: str, batch_id: str, fault: str | None) -> int:
        sent_at, batch = self._read_batch(folder, provider, kind, batch_id)
        if kind == "validasi":
            rows = [[request_id, msisdn, self.status_of(msisdn)] for request_id, msisdn in batch]
        else:
            rows = [self.injection_of(request_id, msisdn, sent_at) for request_id, msisdn, _ in batch]
        ok, other = ANSWER_STATUS[kind][:2]  # aktif/tidak_aktif, berhasil/gagal
        if fault == "missing_rows":
            rows = rows[: max(0, len(rows) - max(1, len(rows) // 100))]
        elif fault == "unknown_status":
            rows[len(rows) // 2][2] = "hidup"
        elif fault == "foreign_rows":
            rows.append([f"{batch_id}-9999999", rows[0][1], ok] + rows[0][3:])
        elif fault == "repeated_row":
            rows.insert(1, list(rows[0]))
        elif fault == "changed":
            for row in rows[: max(1, len(rows) // 10)]:
                row[2] = other if row[2] != other else ok
        data = gzip_bytes(csv_bytes(ANSWER_COLUMNS[kind], rows))
        name = f"{batch_id}.hasil.csv.gz"
        answer_manifest = manifest(
            name, data, len(rows), provider=provider, periode=self.periode, kind=kind, batch_id=batch_id
        )
        if fault == "corrupt":  # a transfer that broke after the provider computed its manifest
            data = (
                data[: len(data) // 2]
                + bytes(b ^ 0xFF for b in data[len(data) // 2 : len(data) // 2 + 16])
                + data[len(data) // 2 + 16 :]
            )
        self.storage.write_bytes(join(folder, name), data)
        self.storage.write_bytes(join(folder, manifest_name(name)), answer_manifest)  # last
        return len(rows)

    def run(self, poll_seconds: float = 2.0, idle_exit_seconds: float | None = None) -> None:
        poll(self.step, poll_seconds, idle_exit_seconds)


def poll(step, poll_seconds: float = 2.0, idle_exit_seconds: float | None = None) -> None:
    """Call ``step`` until stopped (or until it did nothing for idle_exit_seconds)."""
    idle_since = time.time()
    while True:
        if step():
            idle_since = time.time()
        elif idle_exit_seconds is not None and time.time() - idle_since > idle_exit_seconds:
            return
        time.sleep(poll_seconds)
