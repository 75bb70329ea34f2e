"""Partner faults through Airflow itself (tests/airflow_runs.py): bad and duplicated answers
fail only their batch and a redo pays once; a batch never answered waits on the trigger until
the deadline, then ends as residu."""

from __future__ import annotations

import json
import subprocess

import pytest
from airflow_runs import KUOTA, PERIODE, AirflowPeriod, green, money
from conftest import query

from kuota_tools import generator

pytestmark = pytest.mark.heavy


def test_bad_and_duplicated_answers_fail_only_their_batch_and_a_redo_pays_once(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(2_000), seed=7, storage=storage)
    period = AirflowPeriod(airflow_env, dsn, bucket, uri)
    faults = ("missing_rows:xl:1:validasi", "missing_rows:indosat:1:injeksi", "duplicate:telkomsel:1:injeksi")
    with period.simulators(faults):
        green(*period.monthly())
        code, log, states = period.stage(1)
    assert states["validation.batch.ingest_answer"] == {"success", "failed"}, states
    assert states["injection.batch.ingest_answer"] == {"success", "failed"}, states
    assert states["reconciliation.check_exchange"] == "failed" and states["any_task_failed"] == "failed"
    assert states["run_summary"] == "success" and states["sptjm.issue_sptjm"] == "success"
    bad = dict(
        query(
            dsn,
            "SELECT b.jenis, b.batch_id FROM kuota.jawaban j JOIN kuota.batch b USING (batch_id) "
            "WHERE j.hasil = 'dikarantina'",
        )
    )
    assert bad["validasi"].startswith(f"V-{PERIODE}-xl-") and bad["injeksi"].startswith(f"I-{PERIODE}-indosat-")
    assert bad["validasi"] in log and "requests are not answered" in log
    paid = money(dsn)
    assert not [
        p
        for p in paid
        if p[3] == "indosat"
        and p[0:2] in query(dsn, "SELECT jenis, id::text FROM kuota.injeksi WHERE batch_id = %s", (bad["injeksi"],))
    ]
    sent = storage.read_bytes(f"{period.exchange_uri}/provider/xl/{PERIODE}/validasi/{bad['validasi']}.csv.gz")

    # The xl batch redone alone from the CLI; the indosat one is asked again by the next stage.
    with period.simulators(schools=False):
        redo = subprocess.run(
            [
                KUOTA,
                "redo-batch",
                "--batch-id",
                bad["validasi"],
                "--exchange-uri",
                period.exchange_uri,
                "--poll-seconds",
                "0.5",
                "--wait-seconds",
                "60",
            ],
            env=dict(period.env, KUOTA_WAREHOUSE_DSN=dsn),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert redo.returncode == 0, redo.stderr[-2000:]
        assert json.loads(redo.stdout)["outcome"] == "loaded"
        assert (
            storage.read_bytes(f"{period.exchange_uri}/provider/xl/{PERIODE}/validasi/{bad['validasi']}.csv.gz") == sent
        )
        code, log, states = period.stage(2)
    green(code, log, states)
    # The duplicated telkomsel answer was ignored (each batch's answer loaded once, below), the
    # indosat batch paid once after its redo, nobody paid twice.
    ledger = money(dsn)
    assert len(ledger) == len({(j, i) for j, i, *_ in ledger}) and set(paid) <= set(ledger)
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.permintaan r JOIN kuota.injeksi i USING (request_id) "
        "WHERE i.batch_id = %s AND r.hasil IS NULL",
        (bad["injeksi"],),
    ) == [(0,)]
    assert query(dsn, "SELECT count(*), count(DISTINCT batch_id) FROM kuota.jawaban WHERE hasil = 'dimuat'") == query(
        dsn, "SELECT count(*), count(*) FROM kuota.batch"
    )
    assert query(dsn, "SELECT count(*) FROM kuota.anomali_provider") == [(0,)]


def test_a_batch_never_answered_waits_on_the_trigger_until_the_deadline_then_ends_as_residu(
    airflow_env, dsn, storage, bucket
):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(1_000), seed=8, storage=storage)
    period = AirflowPeriod(airflow_env, dsn, bucket, uri)
    with period.simulators(("no_answer:tri:9:validasi",), schools=False):
        green(*period.monthly())
        # Far enough for the stage to reach its wait before it, on a busy machine too.
        period.deadline_in(120, "a short deadline for the test")
        code, log, states = period.stage(1, wait_minutes=5)
    # The deadline passed during the wait with SPTJMs undecided: the run closes the requests,
    # but it cannot close the period nor look green while those records wait.
    assert states["reconciliation.close_period"] == "failed" and states["any_task_failed"] == "failed", states
    assert "sptjm_dicetak" in log and "stays open" in log and "alasan_tutup" in log
    assert "no answer by the period's deadline" in log  # the skipped wait says why
    assert states["validation.batch.wait_for_answer"] == {"success", "skipped"}, states
    assert states["validation.batch.ingest_answer"] == {"success", "skipped"}, states
    assert states["reconciliation.close_at_deadline"] == "success"
    assert "[DAG TEST] running trigger in line" in log  # the wait was deferred to a trigger
    ((tri,),) = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE provider = 'tri' AND status <> 'residu'")
    assert tri == 0
    assert query(dsn, "SELECT DISTINCT provider FROM kuota.penerima WHERE alasan = 'tanpa_respons_provider'") == [
        ("tri",)
    ]
    # No school decided within the stage: its SPTJMs wait, nothing was injected, the run is green.
    assert query(dsn, "SELECT count(*) FROM kuota.sptjm WHERE keputusan IS NULL")[0][0] > 0
    assert query(dsn, "SELECT count(*) FROM kuota.batch WHERE jenis = 'injeksi'") == [(0,)]
