"""The DAGs run by Airflow itself on the real stack (tests/airflow_runs.py): a whole period in
stages with both simulators, and a monthly run stopped by a bad manifest."""

from __future__ import annotations

import json

import pytest
from airflow_runs import PERIODE, AirflowPeriod, check_export_against_ledger_and_files_sent, green, period_state
from conftest import query
from helpers import rewrite_manifest

from kuota.partners.contract import PROVIDERS
from kuota_tools import generator

pytestmark = pytest.mark.heavy


def test_a_whole_period_in_stages_with_both_simulators(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(2_000), seed=5, storage=storage)
    period = AirflowPeriod(airflow_env, dsn, bucket, uri)
    with period.simulators():
        code, log, states = period.monthly()
        green(code, log, states)
        assert "format_tidak_valid" in log and "screening funnel" in log and "similarity index:" in log
        assert storage.list_names(f"s3://{bucket}/exchange/portal/{PERIODE}/residu")  # residu went to schools
        assert query(dsn, "SELECT count(*) FROM kuota.batch") == [(0,)]  # opening the period sends nothing
        docs = f"{period.output_uri}/{PERIODE}/data_docs"
        assert all(storage.exists(f"{docs}/{suite}/index.html") for suite in ("snapshot", "screening"))
        green(*period.stage(1))
        assert json.loads(storage.read_bytes(f"{docs}/reconciliation/kuota.json"))["success"] is True
        assert period.correct()  # schools correct numbers from the residu they got back
        code, log, states = period.stage(2)
        green(code, log, states)
        stage_two, labels = log, period.labels("kuota_tahap")
        # Retried injection tasks, then one batch cleared and run again (Airflow runs its tasks
        # again): nothing is planned, sent, waited for or paid twice.
        after_two = period_state(dsn)
        log = "".join(
            period.retry_task(task_id, 0)
            for task_id in (
                "injection.plan_batches",
                "injection.batch.send_batch",
                "injection.batch.wait_for_answer",
                "injection.batch.ingest_answer",
            )
        )
        assert "not re-sent" in log and "nothing to wait for" in log and "duplicate_ignored" in log, log[-2000:]
        assert period_state(dsn) == after_two
    # Both stages did their part: corrections re-validated in stage 2, SPTJMs in both, decisions
    # (approvals and rejections) taken, packages injected in both.
    assert query(dsn, "SELECT DISTINCT tahap FROM kuota.batch WHERE jenis = 'injeksi' ORDER BY 1") == [(1,), (2,)]
    assert query(dsn, "SELECT DISTINCT tahap FROM kuota.batch WHERE jenis = 'validasi' ORDER BY 1") == [(1,), (2,)]
    ((applied,),) = query(dsn, "SELECT count(*) FROM kuota.koreksi WHERE hasil = 'diterapkan'")
    assert applied > 0
    assert {k for (k,) in query(dsn, "SELECT DISTINCT keputusan FROM kuota.sptjm")} == {"disetujui", "ditolak"}
    assert query(dsn, "SELECT count(*) FROM kuota.sptjm WHERE sptjm_no LIKE '%%-2'")[0][0] > 0  # a 2nd SPTJM
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status NOT IN ('residu', 'berhasil')") == [(0,)]
    # The run summary: the funnel per province and provider, the BAST totals.
    assert "funnel (cutoff -> screened -> valid -> SPTJM approved -> injected)" in stage_two
    assert "injection per provider (BAST" in stage_two and "provinsi" in stage_two
    # Mapped instances read as their provider or batch in the UI.
    assert labels["injection.batch.send_batch"] == labels["injection.batch.ingest_answer"]
    assert set(labels["injection.batch.send_batch"]) <= {b for (b,) in query(dsn, "SELECT batch_id FROM kuota.batch")}
    assert labels["validation.plan_batches"] == [p for p in PROVIDERS if p in labels["validation.plan_batches"]]
    assert [label[:2] for label in labels["sptjm.write_sptjm"]] == sorted(
        p for (p,) in query(dsn, "SELECT DISTINCT kode_provinsi::text FROM snapshot.sekolah")
    ) and all(len(label) > 3 for label in labels["sptjm.write_sptjm"])  # "31 DKI Jakarta": the code and its name
    checked = check_export_against_ledger_and_files_sent(storage, period, dsn)
    assert checked["records"] // 4 < checked["paid"] <= checked["sent"]

    # The whole period again, as a backfill would (stage 2 run again after its retries among
    # them): the monthly run and its stages change nothing.
    exported = storage.read_bytes(f"{period.output_uri}/{PERIODE}/status_penerima.csv.gz")
    green(*period.monthly())
    for tahap in (1, 2):
        green(*period.stage(tahap, wait_minutes=0.1))
    assert period_state(dsn) == after_two
    assert storage.read_bytes(f"{period.output_uri}/{PERIODE}/status_penerima.csv.gz") == exported
    assert json.loads(storage.read_bytes(f"{period.output_uri}/{PERIODE}/rekap.manifest.json"))["final"] is False

    # The deadline passes: the next stage run is the closing one (nothing waits: it closes).
    period.deadline_in(0, "the test closes the month now")
    code, log, states = period.stage(3, wait_minutes=0.1)
    green(code, log, states)
    assert states["reconciliation.close_period"] == "success" and "CLOSED at" in log
    assert json.loads(storage.read_bytes(f"{period.output_uri}/{PERIODE}/rekap.manifest.json"))["final"] is True
    closed, exported = period_state(dsn), storage.read_bytes(f"{period.output_uri}/{PERIODE}/rekap.csv")
    # A later stage is refused at once, the run is not green, and nothing of the period changes.
    code, log, states = period.stage(4)
    assert states["open_stage"] == "failed" and states["any_task_failed"] == "failed", states
    assert f"periode {PERIODE} was closed at" in log and "kuota periode-buka-kembali" in log
    assert {
        states[t] for t in ("reconciliation.close_at_deadline", "reconciliation.refresh_residu", "sptjm.issue_sptjm")
    } == {"skipped"}, states
    assert period_state(dsn) == closed
    assert storage.read_bytes(f"{period.output_uri}/{PERIODE}/rekap.csv") == exported


def test_monthly_dag_stops_at_a_bad_manifest_and_names_the_file(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/bad"
    generator.generate(uri, generator.Scale.for_students(1_000), seed=6, storage=storage)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256="0" * 64))
    code, log, states = AirflowPeriod(airflow_env, dsn, bucket, uri).monthly()
    assert code != 0 or "failed" in states.values()
    assert states["cutoff_snapshot.verify_manifest"] == "failed", states
    assert states["cutoff_snapshot.load_snapshot"] == "upstream_failed", states
    assert "ptk.csv.gz" in log and "sha256" in log
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(0,)]
