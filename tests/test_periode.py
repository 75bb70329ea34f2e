"""The period's lifecycle: opened once with its deadline and calendar, closed once after the
deadline, and then closed for good: every later step refuses, in the pipeline and in the
database, until an operator reopens it with a reason."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from conftest import query
from helpers import validated_period

from kuota import periode, summary
from kuota.bulanan import residu
from kuota.infra.errors import ContractError, PeriodeDitutup
from kuota.partners import exchange
from kuota.periode import WIB, Period
from kuota.tahap import ekspor, koreksi, sptjm, validasi

PERIODE = "2020-09"
UTC = dt.UTC


def _state(dsn) -> tuple:
    return (
        query(
            dsn,
            "SELECT jenis, id::text, status, coalesce(alasan, ''), coalesce(msisdn, '') FROM kuota.penerima "
            "ORDER BY 1, 2",
        ),
        query(dsn, "SELECT batch_id, sha256 FROM kuota.batch ORDER BY 1"),
        query(dsn, "SELECT request_id, hasil FROM kuota.permintaan ORDER BY 1"),
        query(dsn, "SELECT sptjm_no, keputusan, sha256 FROM kuota.sptjm ORDER BY 1"),
        query(dsn, "SELECT periode, tahap FROM kuota.tahap ORDER BY 1, 2"),
    )


def _objects(storage, bucket) -> dict:
    pages = storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def test_opening_stores_the_deadline_once_and_refuses_one_already_passed(dsn):
    now = dt.datetime(2020, 9, 12, 6, tzinfo=WIB)
    with pytest.raises(
        ContractError,
        match=r"2020-09-30T23:59:00\+07:00 \(by default, the period's last day\) has "
        r"already passed.*batas_jawaban",
    ):
        periode.check_opening(dsn, PERIODE, None, now=dt.datetime(2020, 10, 1, tzinfo=UTC))
    with pytest.raises(ContractError, match="needs an offset"):
        periode.check_opening(dsn, PERIODE, "2020-09-30T23:59:00", now=now)
    with pytest.raises(ContractError, match="hari_tahap"):
        periode.check_opening(dsn, PERIODE, None, "15,31", now=now)
    opening = periode.check_opening(dsn, PERIODE, None, " 28, 15 ", now=now)
    assert opening == {
        "periode": PERIODE,
        "batas_jawaban": "2020-09-30T23:59:00+07:00",
        "hari_tahap": [15, 28],
        "opened": False,
    }


def test_a_step_is_handed_the_period_whole_and_refuses_what_it_lacks(dsn, storage, screened, period):
    """Period.opened reads the deadline stored at opening; a Period never shows its dsn (it
    holds the warehouse's password); a step missing what it needs says which, before it does
    anything; a batch of one period is never sent, ingested or redone as another's."""
    opened = Period.opened(dsn, PERIODE, storage=storage, exchange_uri=screened["exchange"])
    stored = periode.state(dsn, PERIODE)["batas_jawaban"]
    assert opened.deadline == periode.parse_deadline(stored, PERIODE) and opened.tahap == 1
    assert dsn not in repr(opened) and "password" not in repr(opened).lower()
    with pytest.raises(ContractError, match="is not opened"):
        Period.opened(dsn, "2021-01")
    with pytest.raises(ContractError, match="not YYYY-MM"):
        Period(dsn, "2020-13")
    with pytest.raises(ValueError, match="the deadline's close needs the period's deadline"):
        exchange.close_unanswered(period)
    with pytest.raises(ValueError, match="give the Period its output_uri"):
        ekspor.write_export(period.with_(output_uri=None), final=False)
    with pytest.raises(ValueError, match="give the Period its storage"):
        residu.write_residu(period.with_(storage=None))
    (batch, *_) = validasi.EXCHANGE.plan(period, "telkomsel")
    other = period.with_(periode="2020-10")
    for step in (exchange.send_batch, exchange.ingest_answer, exchange.redo_batch):
        with pytest.raises(ContractError, match=f"batch {batch['batch_id']} belongs to periode {PERIODE}, not 2020-10"):
            step(other, batch["batch_id"])
    assert query(dsn, "SELECT count(*) FROM kuota.batch WHERE sha256 IS NOT NULL") == [(0,)]  # nothing was sent


@pytest.mark.heavy
def test_a_scheduled_stage_run_finds_its_period_and_stage_from_the_calendar(dsn, storage, bucket):
    validated_period(dsn, storage, bucket, PERIODE, 600, seed=3)
    assert periode.state(dsn, PERIODE)["hari_tahap"] == [15, 28]

    def at(day: str) -> tuple[str, int]:
        return periode.resolve_stage(dsn, None, None, dt.datetime.fromisoformat(day + "T06:00:00+07:00"))

    assert at("2020-09-13") == (PERIODE, 1)  # before the first stage day: stage 1
    assert at("2020-09-15") == (PERIODE, 1)
    assert at("2020-09-28") == (PERIODE, 2)
    assert at("2020-10-01") == (PERIODE, 2)  # the closing run, before October opens
    assert periode.resolve_stage(dsn, PERIODE, 3, dt.datetime.now(UTC)) == (PERIODE, 3)  # as given
    with pytest.raises(ContractError, match="no period is opened for 2020-08 or before"):
        at("2020-08-28")


@pytest.mark.heavy
def test_after_the_deadline_records_still_waiting_keep_the_period_open_and_its_export_not_final(
    dsn, storage, bucket, period
):
    validated_period(dsn, storage, bucket, PERIODE, 1_500, seed=11)
    out = f"s3://{bucket}/output"
    sptjm.issue(period.with_(tahap=1))  # the principals never decide: their records wait on an SPTJM
    s = periode.state(dsn, PERIODE)
    assert s["batas_lewat"] and s["menunggu"]["sptjm_dicetak"] > 0 and not s["ditutup_at"]
    exchange.close_unanswered(period.with_(deadline=dt.datetime.fromisoformat(s["batas_jawaban"])))

    with pytest.raises(ContractError) as refused:
        periode.close(dsn, PERIODE, "test")
    message = str(refused.value)
    assert f"{s['menunggu']['sptjm_dicetak']:,} sptjm_dicetak" in message and "stays open" in message
    assert "kuota periode-batas" in message and "alasan_tutup" in message
    assert not periode.state(dsn, PERIODE)["ditutup_at"]
    assert not periode.may_close(periode.state(dsn, PERIODE), None)
    exported = ekspor.write_export(period, final=periode.may_close(s, None))
    assert exported["final"] is False
    assert json.loads(storage.read_bytes(f"{out}/{PERIODE}/rekap.manifest.json"))["final"] is False
    assert "WARNING the deadline has passed with records still waiting" in summary.summary(period)

    # More time for them instead: an audited change of the deadline; then it is not passed.
    later = (dt.datetime.now(UTC) + dt.timedelta(days=3)).isoformat(timespec="seconds")
    with pytest.raises(ContractError, match="reason is required"):
        periode.set_deadline(dsn, PERIODE, later, "", "test")
    periode.set_deadline(dsn, PERIODE, later, "the principals asked for three more days", "test")
    assert periode.close(dsn, PERIODE, "test")["closed"] is False  # the deadline has not passed: stays open


@pytest.mark.heavy
def test_a_closed_period_refuses_every_later_step_in_the_pipeline_and_in_the_database(dsn, storage, bucket, period):
    validated_period(dsn, storage, bucket, PERIODE, 1_500, seed=12)
    issued = sptjm.issue(period.with_(tahap=1))
    sptjm.write_files(period)
    stage = periode.open_stage(dsn, PERIODE, 1)
    assert stage["batas_lewat"]  # opened by the library with the period's last day, long passed
    exchange.close_unanswered(period.with_(deadline=dt.datetime.fromisoformat(stage["batas_jawaban"])))
    assert (
        ekspor.write_export(
            period,
            final=periode.may_close(periode.state(dsn, PERIODE), "principals never answered"),
        )["final"]
        is True
    )
    closed = periode.close(dsn, PERIODE, "test", alasan="the principals never answered; the month is paid")
    assert closed["closed"] and closed["menunggu"]["sptjm_dicetak"] == issued["records"]

    before, files = _state(dsn), _objects(storage, bucket)
    batch = exchange.batches_of(period)[0]["batch_id"]
    deadline = dt.datetime.now(UTC) + dt.timedelta(days=1)
    later_steps = {
        "a stage": lambda: periode.open_stage(dsn, PERIODE, 2),
        "the monthly run": lambda: periode.check_opening(dsn, PERIODE, None),
        "corrections": lambda: koreksi.ingest_corrections(period.with_(tahap=2, deadline=deadline)),
        "planning": lambda: exchange.plan(period.with_(tahap=2, deadline=deadline), "telkomsel", "validasi", 100),
        "sending": lambda: exchange.send_batch(period, batch, force=True),
        "ingesting": lambda: exchange.ingest_answer(period, batch),
        "rechecking": lambda: exchange.recheck_answered(period, "validasi"),
        "the deadline's close": lambda: exchange.close_unanswered(period.with_(deadline=dt.datetime.now(UTC))),
        "SPTJM issue": lambda: sptjm.issue(period.with_(tahap=2)),
        "SPTJM files": lambda: sptjm.write_files(period),
        "a province's SPTJM files": lambda: sptjm.write_province(period, sptjm.provinces(period)[0]),
        "decisions": lambda: sptjm.collect_decisions(period.with_(tahap=2)),
        "residu files": lambda: residu.write_residu(period),
        "a province's residu files": lambda: residu.write_residu_province(period, residu.provinces(period)[0]),
        "the export": lambda: ekspor.write_export(period, final=False),
        "the BAST": lambda: ekspor.write_bast(period),
        "closing again": lambda: periode.close(dsn, PERIODE, "test"),
        "the deadline": lambda: periode.set_deadline(dsn, PERIODE, deadline.isoformat(), "one more day please", "test"),
    }
    for step, run in later_steps.items():
        with pytest.raises(PeriodeDitutup, match=f"periode {PERIODE} was closed at .*kuota periode-buka-kembali"):
            run()
            pytest.fail(f"{step} ran on a closed period")
    assert _state(dsn) == before and _objects(storage, bucket) == files

    # Straight at the database, past the pipeline's own checks: refused there too.
    attacks = [
        "INSERT INTO kuota.tahap (periode, tahap) VALUES ('2020-09', 9)",
        "INSERT INTO kuota.batch (batch_id, periode, provider, jenis, urutan, tahap, baris) "
        "VALUES ('V-late', '2020-09', 'xl', 'validasi', 999, 9, 1)",
        f"INSERT INTO kuota.jawaban (batch_id, sha256, hasil) VALUES ('{batch}', repeat('a', 64), 'dimuat')",
        "INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil) "
        "VALUES ('2020-09', 'persetujuan', 'late.csv', repeat('b', 64), 'dimuat')",
        "UPDATE kuota.sptjm SET keputusan = 'disetujui', diputuskan_at = now() WHERE periode = '2020-09'",
        "UPDATE kuota.periode_riwayat SET alasan = 'rewritten history' WHERE periode = '2020-09'",
    ]
    for attack in attacks:
        with pytest.raises(psycopg2.errors.IntegrityConstraintViolation):
            query(dsn, attack)
    assert _state(dsn) == before

    # Reopening is an operator's decision with a reason, and goes into the history.
    with pytest.raises(ContractError, match="reason is required"):
        periode.reopen(dsn, PERIODE, "oops", "test")
    periode.reopen(dsn, PERIODE, "the BAST for xl was disputed: re-run stage 2", "kuota periode-buka-kembali (ops)")
    assert periode.open_stage(dsn, PERIODE, 2)["tahap"] == 2
    history = periode.history(dsn, PERIODE)
    assert [h[1] for h in history] == ["dibuka", "ditutup", "dibuka_kembali"]
    assert history[1][3] == "the principals never answered; the month is paid"
    assert history[2][3:] == ("the BAST for xl was disputed: re-run stage 2", "kuota periode-buka-kembali (ops)")


@pytest.mark.heavy
def test_the_cli_refuses_to_open_a_period_past_its_deadline_and_shows_the_lifecycle(dsn, storage, bucket):
    kuota = str(Path(sys.executable).with_name("kuota"))
    env = dict(os.environ, KUOTA_WAREHOUSE_DSN=dsn)
    refused = subprocess.run(
        [kuota, "snapshot", "--periode", PERIODE, "--cutoff-uri", f"s3://{bucket}/none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "has already passed" in refused.stderr and "nothing loaded" in refused.stderr
    validated_period(dsn, storage, bucket, PERIODE, 600, seed=4)
    moved = subprocess.run(
        [
            kuota,
            "periode-batas",
            "--periode",
            PERIODE,
            "--batas-jawaban",
            "2020-10-07T23:59:00+07:00",
            "--alasan",
            "providers asked for one more week",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert moved.returncode == 0, moved.stderr
    shown = subprocess.run(
        [kuota, "periode-status", "--periode", PERIODE], env=env, capture_output=True, text=True, timeout=120
    )
    status = json.loads(shown.stdout)
    assert status["state"]["batas_jawaban"] == "2020-10-07T16:59:00+00:00" and not status["state"]["ditutup_at"]
    assert [h[1] for h in status["history"]] == ["dibuka", "batas_diubah"]
    assert status["history"][1][3] == "providers asked for one more week"
    assert status["history"][1][4].startswith("kuota periode-batas (")
    summarized = subprocess.run(
        [kuota, "summary", "--periode", PERIODE], env=env, capture_output=True, text=True, timeout=120
    )
    assert summarized.returncode == 0, summarized.stderr
    assert summarized.stdout.startswith(f"periode {PERIODE}, cutoff ")
    assert "deadline for answers 2020-10-07T16:59:00+00:00" in summarized.stdout
    assert "validation exchange per provider" in summarized.stdout
