"""A backfill of kuota_bulanan over one month (``airflow backfill create``, the 3.3 CLI), run
by the real scheduler: one run, on the month's schedule date, opens that month's period."""

from __future__ import annotations

import datetime as dt
import json
import time

from .conftest import cutoff, future_deadline

DAG = "kuota_bulanan"
PERIODE = "2020-10"


def test_a_backfill_of_one_month_opens_its_period(airflow, storage_session):
    dag = airflow.api("GET", f"/api/v2/dags/{DAG}")
    # Airflow backfills only a DAG with a schedule: the monthly cron (the 12th, 06:00 WIB, below).
    assert dag["timetable_summary"] not in (None, "None", ""), dag
    cutoff(storage_session, airflow.bucket, PERIODE)
    deadline = future_deadline()
    # No periode: a backfilled run's period is the month of its logical date, and cutoff_uri
    # is a template ({periode} replaced), so one conf serves every month of a backfill.
    conf = airflow.conf(
        DAG,
        cutoff_uri=f"s3://{airflow.bucket}/dapodik/cutoff-{{periode}}",
        exchange_uri=airflow.exchange_uri,
        output_uri=airflow.output_uri,
        batas_jawaban=deadline,
    )
    assert "periode" not in conf and "batas_jawaban" in conf, conf
    before = {r["dag_run_id"] for r in airflow.paged(f"/api/v2/dags/{DAG}/dagRuns", "dag_runs")}
    created = airflow.cli(
        "backfill",
        "create",
        "--dag-id",
        DAG,
        "--from-date",
        f"{PERIODE}-01",
        "--to-date",
        f"{PERIODE}-31",
        "--dag-run-conf",
        json.dumps(conf),
    )
    assert created.returncode == 0, created.stdout[-3000:] + created.stderr[-3000:]

    (backfill,) = [b for b in airflow.api("GET", "/api/v2/backfills", params={"dag_id": DAG})["backfills"]]
    assert backfill["dag_run_conf"] == conf
    deadline_s = time.monotonic() + 30 * 60
    while (backfill := airflow.api("GET", f"/api/v2/backfills/{backfill['id']}"))["completed_at"] is None:
        assert time.monotonic() < deadline_s, airflow.paged(f"/api/v2/dags/{DAG}/dagRuns", "dag_runs")
        time.sleep(5)
    runs = [r for r in airflow.paged(f"/api/v2/dags/{DAG}/dagRuns", "dag_runs") if r["dag_run_id"] not in before]
    # One run: the month's schedule date, the 12th at 06:00 WIB (the 11th, 23:00 UTC).
    assert [(r["run_type"], r["logical_date"]) for r in runs] == [("backfill", "2020-10-11T23:00:00Z")], runs
    (run,) = runs
    run = airflow.wait(DAG, run["dag_run_id"])
    assert run["state"] == "success", airflow.states(DAG, run["dag_run_id"])
    assert run["conf"] == conf

    # The period opened on that month's cutoff, with the deadline given, and screened.
    assert airflow.query(
        "SELECT p.periode, c.cutoff_date FROM kuota.periode p JOIN snapshot.cutoff c "
        "USING (cutoff_id) WHERE p.periode = %s",
        (PERIODE,),
    ) == [(PERIODE, dt.date(2020, 10, 11))]
    ((stored,),) = airflow.query("SELECT batas_jawaban FROM kuota.periode WHERE periode = %s", (PERIODE,))
    assert stored == dt.datetime.fromisoformat(deadline)
    ((screened,),) = airflow.query("SELECT count(*) FROM kuota.penerima WHERE periode = %s", (PERIODE,))
    ((records,),) = airflow.query(
        "SELECT sum(loaded_rows) FROM snapshot.cutoff_file f JOIN kuota.periode p "
        "USING (cutoff_id) WHERE p.periode = %s AND f.tabel <> 'sekolah'",
        (PERIODE,),
    )
    assert 0 < records <= screened
    assert airflow.query("SELECT count(*) FROM kuota.batch WHERE periode = %s", (PERIODE,)) == [(0,)]
