"""The operators' alerts on the real stack: mailed through the stack's SMTP sink (a .eml file
per message in KUOTA_MAIL_DIR) via the Airflow connection kuota_smtp, each alert once, no
personal data in any of them."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from airflow_runs import AIRFLOW
from conftest import query
from helpers import portal_file

from kuota import alerts, periode
from kuota.infra import db
from kuota.infra.errors import ContractError, header_mismatch, shown
from kuota.partners import exchange, portal
from kuota.tahap import validasi
from kuota_airflow import alerts as mail
from kuota_tools.simulator import Fault, ProviderSimulator

PERIODE = "2020-09"


@pytest.fixture
def inbox(monkeypatch):
    """The operators of this test alone: a recipient of its own, whose mails are read back from
    the sink (other tests' runs mail the stack's default recipient)."""
    folder = Path(os.environ.get("KUOTA_MAIL_DIR") or pytest.fail("KUOTA_MAIL_DIR is not set: start the stack"))
    to = f"ops-{uuid.uuid4().hex[:10]}@localhost"
    monkeypatch.setenv("KUOTA_ALERT_TO", to)

    def read(settle: float = 0.5) -> list[email.message.EmailMessage]:
        time.sleep(settle)
        found = []
        for path in sorted(folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to in msg["X-Kuota-Rcpt-To"]:
                found.append(msg)
        return found

    read.to = to
    return read


def text(msg) -> str:
    body = msg.get_body(("html", "plain")).get_content()
    return f"{msg['Subject']}\n{body}"


def personal(dsn: str) -> set[str]:
    """What must never be in a mail: the period's numbers, NISNs, NIKs, names."""
    rows = query(dsn, "SELECT nisn, nik, nama, nomor_hp FROM snapshot.peserta_didik")
    numbers = query(dsn, "SELECT msisdn FROM kuota.permintaan")
    return {v for r in rows for v in r if v and len(v) >= 8} | {m for (m,) in numbers}


def _send_all(period) -> list[dict]:
    return [
        exchange.send_batch(period, b["batch_id"])
        for provider in validasi.EXCHANGE.providers(period)
        for b in validasi.EXCHANGE.plan(period, provider, 400)
    ]


@pytest.mark.heavy
def test_each_quarantined_file_mails_once_naming_the_file_the_error_and_what_to_do(
    dsn, storage, screened, period, inbox, caplog
):
    ex = screened["exchange"]
    sent = _send_all(period)
    ProviderSimulator(storage, ex, PERIODE, faults=[Fault("unknown_status", "telkomsel", 1)]).step()
    bad = []
    for batch in validasi.EXCHANGE.batches(period):
        try:
            exchange.ingest_answer(period, batch["batch_id"])
        except ContractError:
            bad.append(batch["batch_id"])
    assert len(bad) == 1 and bad[0] in {s["batch_id"] for s in sent}
    # A school's file whose "header" is a row of a pupil: the error, the log and the error file
    # say so without a value of it.
    ((npsn, nisn, nama, hp),) = query(
        dsn,
        "SELECT s.npsn, p.nisn, p.nama, p.nomor_hp FROM snapshot.peserta_didik p "
        "JOIN snapshot.sekolah s USING (cutoff_id, sekolah_id) LIMIT 1",
    )
    portal_file(storage, ex, "koreksi", f"{npsn}-koreksi-1", (nama, nisn, hp), [("pd", nisn, hp)], npsn=npsn)
    caplog.clear()
    (error,) = portal.ingest(period, "koreksi")["quarantined"]
    assert "header is '…' (3 fields, not all of them column names" in error
    ((pesan, karantina),) = query(
        dsn,
        "SELECT pesan, karantina FROM kuota.berkas_portal WHERE hasil = 'dikarantina' AND nama LIKE %s",
        (f"{npsn}-%",),
    )
    said = [error, caplog.text, pesan, storage.read_bytes(f"{karantina}.error.txt").decode()]
    assert not [v for v in (nama, nisn, hp) for text in said if v in text]

    send = mail.mailer()
    assert send is not None
    # Two checks at once (a stage run and the hourly check), then one more: one mail each.
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: alerts.notify(dsn, send), range(2)))
    assert sum(c["karantina"] for c in counts) == 2
    assert alerts.notify(dsn, send)["karantina"] == 0
    mails = inbox()
    assert len(mails) == 2, [m["Subject"] for m in mails]
    answer = next(text(m) for m in mails if bad[0] in m["Subject"])
    assert "telkomsel" in answer and "unknown status" in answer
    assert f"kuota redo-batch --batch-id {bad[0]}" in answer and "karantina/provider/telkomsel" in answer
    school = next(text(m) for m in mails if f"{npsn}-koreksi-1" in m["Subject"])
    assert "header is '…'" in school and "sends the corrected file again under a new name" in school
    assert "karantina/portal" in school
    everything = "\n".join(text(m) for m in mails)
    leaked = [v for v in personal(dsn) if v in everything]
    assert not leaked, leaked[:3]
    assert query(dsn, "SELECT jenis, count(*) FROM kuota.peringatan GROUP BY 1") == [("karantina", 2)]


@pytest.mark.heavy
def test_a_silent_provider_and_a_deadline_near_mail_once(dsn, storage, screened, period, inbox):
    sent = _send_all(period)  # and nobody answers
    now = dt.datetime.now(dt.UTC)
    periode.set_deadline(
        dsn, PERIODE, (now + dt.timedelta(hours=30)).isoformat(), "providers asked for time", "test_alerts"
    )
    send = mail.mailer()
    # Not yet: sent just now, the deadline 30 h away but the threshold 24 h.
    assert alerts.notify(dsn, send, deadline_hours=24.0) == {"karantina": 0, "provider_diam": 0, "batas_dekat": 0}
    later = now + dt.timedelta(hours=25)
    assert alerts.notify(dsn, send, now=later) == {"karantina": 0, "provider_diam": len(sent), "batas_dekat": 1}
    assert alerts.notify(dsn, send, now=later + dt.timedelta(hours=1))["provider_diam"] == 0
    mails = inbox()
    assert len(mails) == len(sent) + 1
    subjects = [m["Subject"] for m in mails]
    assert {s["batch_id"] for s in sent} == {b for s in subjects for b in re.findall(r"batch (\S+) for", s)}
    (deadline,) = [text(m) for m in mails if "deadline in" in m["Subject"]]
    open_requests = sum(s["rows"] for s in sent)
    assert f"requests open:  {open_requests}" in deadline and f"kuota periode-batas --periode {PERIODE}" in deadline
    # The deadline moved later: a new warning when it nears in turn.
    periode.set_deadline(
        dsn, PERIODE, (now + dt.timedelta(hours=40)).isoformat(), "providers asked again", "test_alerts"
    )
    assert alerts.notify(dsn, send, now=later)["batas_dekat"] == 1
    everything = "\n".join(text(m) for m in inbox())
    leaked = [v for v in personal(dsn) if v in everything]
    assert not leaked, leaked[:3]


def test_a_mail_that_fails_is_sent_by_the_next_check(dsn, inbox):
    """The claim and the mail are one: a refused mail leaves the alert owed."""
    alert = alerts.Peringatan("karantina:test:1", "karantina", None, "[kuota] test", "body")

    def refused(subject, body):
        raise mail.MailFailed("the server is down")

    with pytest.raises(mail.MailFailed):
        alerts.deliver(dsn, alert, refused)
    assert alerts.deliver(dsn, alert, mail.mailer()) is True
    assert alerts.deliver(dsn, alert, mail.mailer()) is False
    assert [m["Subject"] for m in inbox()] == ["[kuota] test"]


def test_without_recipients_alerts_are_off_and_nothing_fails(monkeypatch, caplog):
    monkeypatch.setenv("KUOTA_ALERT_TO", "")
    mail._told_off.clear()
    assert mail.mailer() is None and mail.mailer() is None
    assert mail.notify_operators() == {"alerts": "off"}
    assert [r.getMessage() for r in caplog.records if "alerts are off" in r.getMessage()] == [
        "alerts are off: KUOTA_ALERT_TO is empty (the operators' addresses, comma-separated)"
    ]


def test_personal_data_is_masked_in_what_partners_wrote():
    said = "line 1: header is 'Budi Santoso,0012345678,+62 812-3456-7890', expected 'jenis,id'; npsn '20100001'"
    assert alerts.redacted(said) == "line 1: header is '…', expected '…'; npsn '20100001'"
    assert alerts.redacted("nomor 081234567890 / NIK 3201234567890001") == "nomor … / NIK …"


def test_a_header_is_echoed_only_when_it_is_made_of_column_names():
    columns = ("jenis", "id", "nomor_hp")
    assert header_mismatch(["jenis", "id", "nomor_telepon"], columns) == (
        "line 1: header is 'jenis,id,nomor_telepon', expected 'jenis,id,nomor_hp'"
    )
    row = header_mismatch(["Budi Santoso", "0012345678", "081234567890"], columns)
    assert "Budi" not in row and "0012345678" not in row and "08123" not in row
    assert row.startswith("line 1: header is '…' (3 fields, not all of them column names")
    assert (
        header_mismatch(None, columns)
        == header_mismatch([], columns)
        == "line 1: no header, expected 'jenis,id,nomor_hp'"
    )


def test_a_partner_value_is_quoted_only_when_it_cannot_be_personal():
    for kept in ("SPTJM-2020-09-20100001-1", "20100001", "aktif", "c0ffee00-1234-4abc-8def-123456789012", None):
        assert shown(kept) == repr(kept)
    for personal in ("6281234567890", "0812-3456-7890", "+62 812 3456 7890", "3201234567890001", "Budi Santoso"):
        assert shown(personal) == "'…'"


@pytest.mark.heavy
def test_a_failed_run_mails_the_operators_once_naming_the_run(airflow_env, dsn, bucket, inbox):
    env = dict(airflow_env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn), KUOTA_ALERT_TO=inbox.to)
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(timespec="seconds")
    conf = {
        "periode": PERIODE,
        "cutoff_uri": f"s3://{bucket}/dapodik/none-here",  # no manifest: verify_manifest fails
        "exchange_uri": f"s3://{bucket}/exchange",
        "output_uri": f"s3://{bucket}/output",
        "batas_jawaban": deadline,
    }
    done = subprocess.run(
        [AIRFLOW, "dags", "test", "kuota_bulanan", "-c", json.dumps(conf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0 or "failed" in done.stdout + done.stderr
    mails = inbox(settle=1)
    assert len(mails) == 1, (done.stdout + done.stderr)[-3000:]
    assert query(dsn, "SELECT count(*) FROM kuota.peringatan WHERE jenis = 'run_gagal'") == [(1,)]
    run_id = query(
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "SELECT run_id FROM dag_run WHERE dag_id = 'kuota_bulanan'"
    )[0][0]
    body = text(mails[0])
    assert f"kuota_bulanan run {run_id} failed" in mails[0]["Subject"]
    assert "cutoff_snapshot.verify_manifest" in body and "/dags/kuota_bulanan/runs/" in body
    assert "What to do" in body
