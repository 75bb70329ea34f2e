"""The operators' alerts (peringatan): a failed run, a quarantined partner file, a provider
silent past a threshold, a period nearing its deadline with requests still open.

Each alert goes out once: its key is claimed in ``kuota.peringatan`` in the transaction that
sends it, so two runs (a stage run and the hourly check, a task cleared while it runs) never
send it twice, and a mail that fails rolls the claim back for the next check to try again.
What sends is handed in (``send(subject, body)``): the Airflow glue mails through its SMTP
connection; this package never imports Airflow.

No name, NISN, NIK or phone number is in an alert: the queries read batch ids, file names,
providers, periods and counts, and the partner-facing error text goes through ``redacted``
(a partner's bytes may be echoed in it, say a header line that was really a row).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from .infra import db
from .infra.errors import redacted

log = logging.getLogger(__name__)

Send = Callable[[str, str], None]

SILENT_HOURS = 24
DEADLINE_HOURS = 48
README = "README.md, 'The stage DAG kuota_tahap' and its runbooks"


@dataclass(frozen=True)
class Peringatan:
    kunci: str
    jenis: str
    periode: str | None
    subject: str
    body: str


def _karantina(row) -> Peringatan:
    kunci, periode, sumber, jenis, pengirim, berkas, karantina, pesan, diterima_at = row
    if sumber == "provider":
        subject = f"[kuota] {periode}: {pengirim}'s answer to batch {berkas} quarantined"
        todo = (
            f"Read the error file {karantina}.error.txt and agree with {pengirim} on a corrected answer.\n"
            f"Then either wait for the next stage run (it re-sends the batch, byte-identical, which asks "
            f"{pengirim} to answer again), or at once: in the stage run's grid clear "
            f"{'validation' if jenis == 'validasi' else 'injection'}.batch.send_batch for map index {berkas} "
            f"with Downstream, or run: kuota redo-batch --batch-id {berkas} --exchange-uri <exchange_uri>.\n"
            f"Not after the period's deadline: move it first (kuota periode-batas) if the answer is still wanted."
        )
        what = f"provider {pengirim}, {jenis} batch {berkas}"
    else:
        subject = f"[kuota] {periode}: school {jenis} file {berkas} quarantined"
        todo = (
            f"Read the error file {karantina}.error.txt and tell the school (through the portal's "
            f"helpdesk) what to fix: it sends the corrected file again under a new name, and the next "
            f"stage run takes it. Nothing of the quarantined file was loaded; the school's other files are not held up."
        )
        what = f"school portal, {jenis} file {berkas}"
    body = (
        f"A partner file broke the contract and was quarantined whole.\n\n"
        f"periode:     {periode}\n"
        f"file:        {what}\n"
        f"received:    {diterima_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC\n"
        f"moved to:    {karantina}.*\n"
        f"error:       {redacted(pesan)}\n\n"
        f"What to do:\n{todo}\n\nRunbook: {README}."
    )
    return Peringatan(kunci, "karantina", periode, subject, body)


def _diam(row, now: dt.datetime, hours: float) -> Peringatan:
    kunci, periode, provider, jenis, batch_id, dibuat_at, terbuka = row
    silent = (now - dibuat_at).total_seconds() / 3600
    subject = f"[kuota] {periode}: {provider} silent on batch {batch_id} for {silent:.0f} h"
    body = (
        f"A provider has not answered a batch for longer than {hours:g} hours.\n\n"
        f"periode:        {periode}\n"
        f"provider:       {provider}\n"
        f"batch:          {batch_id} ({jenis})\n"
        f"sent:           {dibuat_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({silent:.0f} h ago)\n"
        f"requests open:  {terbuka}\n\n"
        f"What to do:\nAsk {provider} whether batch {batch_id} reached them and when they will answer. "
        f"If it must be sent again: kuota redo-batch --batch-id {batch_id} --exchange-uri <exchange_uri>. "
        f"Requests still open at the period's deadline become residu tanpa_respons_provider.\n\n"
        f"Runbook: {README}."
    )
    return Peringatan(kunci, "provider_diam", periode, subject, body)


def _span(hours: float) -> str:
    return f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def _batas(rows: list, now: dt.datetime) -> Peringatan:
    kunci, periode, batas = rows[0][:3]
    left = (batas - now).total_seconds() / 3600
    total = sum(r[5] for r in rows)
    per = "\n".join(f"  {provider:10} {jenis:9} {n}" for _, _, _, provider, jenis, n in rows)
    subject = f"[kuota] {periode}: deadline in {_span(left)} with {total} provider requests open"
    body = (
        f"The period's deadline for answers is near and provider requests are still open.\n\n"
        f"periode:        {periode}\n"
        f"deadline:       {batas.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({_span(left)} from now)\n"
        f"requests open:  {total}\n"
        f"  provider   kind      open\n{per}\n\n"
        f"What to do:\nChase the providers named above. If they need more time, move the deadline "
        f"(audited, with a reason): kuota periode-batas --periode {periode} --batas-jawaban <ISO 8601> "
        f"--alasan '<why>'. At the deadline the open requests become residu tanpa_respons_provider.\n\n"
        f"Runbook: {README}."
    )
    return Peringatan(kunci, "batas_dekat", periode, subject, body)


def due(
    dsn: str, now: dt.datetime | None = None, silent_hours: float = SILENT_HOURS, deadline_hours: float = DEADLINE_HOURS
) -> list[Peringatan]:
    """Every alert the warehouse owes the operators now, not yet sent, over all periods."""
    now = now or dt.datetime.now(dt.UTC)
    with db.connect(dsn) as conn:
        karantina = db.run(conn, "alerts/01_list_karantina")
        diam = db.run(conn, "alerts/02_list_provider_diam", {"sekarang": now, "jam": silent_hours})
        batas = db.run(conn, "alerts/03_list_batas_dekat", {"sekarang": now, "jam": deadline_hours})
    per_periode: dict[str, list] = {}
    for row in batas:
        per_periode.setdefault(row[0], []).append(row)
    return (
        [_karantina(r) for r in karantina]
        + [_diam(r, now, silent_hours) for r in diam]
        + [_batas(rows, now) for rows in per_periode.values()]
    )


@contextlib.contextmanager
def claimed(dsn: str, alert: Peringatan):
    """Yields whether this process is the one to send ``alert``; the claim is committed only if
    the block ends well (the mail went), rolled back otherwise."""
    with db.connect(dsn) as conn:
        rows = db.run(
            conn,
            "alerts/04_record_peringatan",
            {"kunci": alert.kunci, "jenis": alert.jenis, "periode": alert.periode, "subjek": alert.subject},
        )
        yield bool(rows)


def deliver(dsn: str, alert: Peringatan, send: Send) -> bool:
    """Send ``alert`` unless it was sent already; True if it went now."""
    with claimed(dsn, alert) as mine:
        if mine:
            send(alert.subject, alert.body)
            log.info("alert sent: %s", alert.subject)
    return mine


def notify(
    dsn: str,
    send: Send,
    now: dt.datetime | None = None,
    silent_hours: float = SILENT_HOURS,
    deadline_hours: float = DEADLINE_HOURS,
) -> dict:
    """Send every alert owed, each once; returns what went, by kind."""
    sent: dict[str, int] = {"karantina": 0, "provider_diam": 0, "batas_dekat": 0}
    for alert in due(dsn, now, silent_hours, deadline_hours):
        if deliver(dsn, alert, send):
            sent[alert.jenis] += 1
    return sent


def run_failed(
    dag_id: str, run_id: str, started: dt.datetime | None, failed: list[str], url: str, reason: str
) -> Peringatan:
    """The alert of a failed run: which run, its failed tasks, where to look, what to do."""
    stamp = started.astimezone(dt.UTC).isoformat(timespec="seconds") if started else "-"
    tasks = "\n".join(f"  {t}" for t in failed) or "  (see the run's grid)"
    body = (
        f"A run failed.\n\n"
        f"dag:      {dag_id}\n"
        f"run:      {run_id}\n"
        f"started:  {stamp}\n"
        f"reason:   {redacted(reason)}\n"
        f"failed tasks:\n{tasks}\n\n"
        f"The run in the UI: {url}\n\n"
        f"What to do:\nRead the failed task's log and the run summary (run_summary). A quarantined provider "
        f"answer: redo the batch (README, 'Runbook: redo a failed provider batch'). A broken cutoff or a "
        f"failed quality check fails at once: fix the input (or record a waiver), then clear that task. "
        f"A closed period refuses the run: reopen it with a reason if it must run. Anything else: clear "
        f"the failed task with Downstream once its cause is fixed.\n\nRunbook: {README}."
    )
    subject = f"[kuota] {dag_id} run {run_id} failed"
    return Peringatan(f"run_gagal:{dag_id}:{run_id}:{stamp}", "run_gagal", None, subject, body)
