"""The monthly DAG run by Airflow itself (``airflow dags test``) on the real stack.

Each run gets the test's own warehouse database and bucket through the same connection ids
the deployment uses (AIRFLOW_CONN_KUOTA_WAREHOUSE, AIRFLOW_CONN_KUOTA_S3).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import query
from helpers import rewrite_manifest

from kuota import db, generator

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
KUOTA = str(Path(sys.executable).with_name("kuota"))


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path_factory.mktemp("airflow-home")),
               AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False")
    if not env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        pytest.fail("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is not set: run the tests with 'make test'")
    migrated = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    return env


def _run_dag(env: dict, dsn: str, bucket: str, periode: str, cutoff_uri: str,
             faults: tuple[str, ...] = (), deadline_seconds: int = 600) -> tuple[int, str, dict]:
    """One run of the DAG with the provider simulator playing the providers beside it.
    Returns the exit code, the log, and the states of the run's tasks (a mapped task: the set
    of its instances' states)."""
    env = dict(env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn))
    exchange_uri = f"s3://{bucket}/exchange"
    deadline = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=deadline_seconds)).isoformat(timespec="seconds")
    conf = {"periode": periode, "cutoff_uri": cutoff_uri, "exchange_uri": exchange_uri,
            "output_uri": f"s3://{bucket}/output", "ukuran_batch": 400, "batas_jawaban": deadline, "poll_detik": 1}
    providers = subprocess.Popen([KUOTA, "simulate-providers", "--exchange-uri", exchange_uri, "--periode", periode,
                                  "--poll-seconds", "0.5", *[a for f in faults for a in ("--fault", f)]],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        done = subprocess.run([AIRFLOW, "dags", "test", "kuota_bulanan", "-c", json.dumps(conf)],
                              env=env, capture_output=True, text=True, timeout=900)
    finally:
        providers.terminate()
        simulator_log = providers.communicate(timeout=30)[1]
    with db.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
        cur.execute("""SELECT r.run_id FROM dag_run r WHERE r.dag_id = 'kuota_bulanan' AND r.conf::text LIKE %s
                       ORDER BY r.start_date DESC LIMIT 1""", (f"%{cutoff_uri}%",))
        (run_id,), = cur.fetchall()
        cur.execute("""SELECT task_id, array_agg(DISTINCT state) FROM task_instance
                       WHERE dag_id = 'kuota_bulanan' AND run_id = %s GROUP BY task_id""", (run_id,))
        states = {task_id: s[0] if len(s) == 1 else set(s) for task_id, s in cur.fetchall()}
    return done.returncode, done.stdout + done.stderr + simulator_log, states


def test_monthly_dag_loads_a_cutoff_end_to_end(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(2_000), seed=5, storage=storage)
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri)
    assert code == 0, log[-3000:]
    assert states.pop("any_task_failed") == "skipped"
    assert set(states.values()) == {"success"}, states
    assert len(states) >= 18
    (manifest_rows, loaded, invalid), = query(dsn, "SELECT sum(manifest_rows), sum(loaded_rows), sum(invalid_rows)"
                                                   " FROM snapshot.cutoff_file")
    assert loaded + invalid == manifest_rows > 2_000
    assert query(dsn, "SELECT periode FROM kuota.periode") == [("2020-09",)]
    assert "format_tidak_valid" in log and "screening funnel" in log and "similarity index:" in log  # the run summary
    (screened,), = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE periode = '2020-09'")
    assert screened > 2_000  # and check_screening, which proves the count, succeeded
    assert storage.list_names(f"s3://{bucket}/exchange/portal/2020-09/residu")  # residu went to schools
    # Stage 3: every number went to its provider in batches of at most 400, every answer loaded.
    (batches, loaded, waiting), = query(dsn, """SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM
        kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat')),
        (SELECT count(*) FROM kuota.penerima WHERE status IN ('siap_validasi', 'dikirim_validasi'))
        FROM kuota.batch b""")
    assert batches == loaded > 6 and waiting == 0
    assert "validation exchange per provider" in log and "telkomsel" in log
    # Mapped instances read as their provider or batch in the UI.
    with db.connect(airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
        cur.execute("""SELECT task_id, array_agg(rendered_map_index ORDER BY map_index) FROM task_instance
                       WHERE map_index >= 0 AND run_id = (SELECT run_id FROM dag_run WHERE conf::text LIKE %s
                                                          ORDER BY start_date DESC LIMIT 1) GROUP BY 1""",
                    (f"%{uri}%",))
        labels = dict(cur.fetchall())
    ids = [b for (b,) in query(dsn, "SELECT batch_id FROM kuota.batch")]
    assert sorted(labels["validation_exchange.batch.send_batch"]) == sorted(ids)
    assert labels["validation_exchange.batch.wait_for_answer"] == labels["validation_exchange.batch.ingest_answer"] \
        == labels["validation_exchange.batch.send_batch"]
    assert labels["validation_exchange.plan_batches"] == ["telkomsel", "indosat", "xl", "axis", "tri", "smartfren"]
    valid = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'valid'")[0][0]
    assert valid > 0


def test_monthly_dag_stops_at_a_bad_manifest_and_names_the_file(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/bad"
    generator.generate(uri, generator.Scale.for_students(1_000), seed=6, storage=storage)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256="0" * 64))
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri)
    assert code != 0 or "failed" in states.values()
    assert states["cutoff_snapshot.verify_manifest"] == "failed", states
    assert states["cutoff_snapshot.load_snapshot"] == "upstream_failed", states
    assert "ptk.csv.gz" in log and "sha256" in log
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(0,)]


def test_a_quarantined_batch_fails_the_run_alone_and_a_redo_then_a_rerun_completes_it(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(2_000), seed=7, storage=storage)
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri, faults=("missing_rows:xl",))
    assert code != 0 or "failed" in str(states)
    assert states["validation_exchange.batch.ingest_answer"] == {"success", "failed"}, states
    assert states["validation_exchange.check_validation"] == "failed"
    assert states["any_task_failed"] == "failed" and states["run_summary"] == "success"
    (bad,), = query(dsn, "SELECT batch_id FROM kuota.jawaban WHERE hasil = 'dikarantina'")
    assert bad.startswith("V-2020-09-xl-") and f"{bad}" in log and "requests are not answered" in log
    before = query(dsn, "SELECT jenis, id, status, alasan FROM kuota.penerima WHERE provider <> 'xl' ORDER BY 1, 2")
    sent = storage.read_bytes(f"s3://{bucket}/exchange/provider/xl/2020-09/validasi/{bad}.csv.gz")

    # Redo that batch alone from the CLI, with the simulator answering cleanly.
    env = dict(airflow_env)
    providers = subprocess.Popen([KUOTA, "simulate-providers", "--exchange-uri", f"s3://{bucket}/exchange",
                                  "--periode", "2020-09", "--poll-seconds", "0.5", "--provider", "xl"], env=env)
    try:
        redo = subprocess.run([KUOTA, "redo-batch", "--batch-id", bad, "--exchange-uri", f"s3://{bucket}/exchange",
                               "--dsn", dsn, "--poll-seconds", "0.5", "--wait-seconds", "60"],
                              env=env, capture_output=True, text=True, timeout=120)
    finally:
        providers.terminate()
        providers.wait(timeout=30)
    assert redo.returncode == 0, redo.stderr[-2000:]
    assert json.loads(redo.stdout)["outcome"] == "loaded"
    assert storage.read_bytes(f"s3://{bucket}/exchange/provider/xl/2020-09/validasi/{bad}.csv.gz") == sent

    # The whole period again (as a backfill would): completes, changes nothing of the others.
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri)
    assert code == 0, log[-3000:]
    assert states.pop("any_task_failed") == "skipped" and set(states.values()) == {"success"}, states
    assert query(dsn, "SELECT jenis, id, status, alasan FROM kuota.penerima WHERE provider <> 'xl' ORDER BY 1, 2") == before
    assert query(dsn, "SELECT count(*), count(DISTINCT batch_id) FROM kuota.jawaban WHERE hasil = 'dimuat'") == \
        query(dsn, "SELECT count(*), count(*) FROM kuota.batch")


def test_a_batch_never_answered_waits_on_the_trigger_until_the_deadline_then_ends_as_residu(airflow_env, dsn, storage,
                                                                                            bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(1_000), seed=8, storage=storage)
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri, faults=("no_answer:tri",),
                                 deadline_seconds=40)
    assert code == 0, log[-3000:]
    assert states["validation_exchange.batch.wait_for_answer"] == {"success", "skipped"}, states
    assert states["validation_exchange.batch.ingest_answer"] == {"success", "skipped"}, states
    assert states["validation_exchange.close_unanswered"] == "success"
    assert "[DAG TEST] running trigger in line" in log  # the wait was deferred to a trigger
    (tri,), = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE provider = 'tri' AND status <> 'residu'")
    assert tri == 0
    (closed,), = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE alasan = 'tanpa_respons_provider'")
    assert closed > 0 and query(dsn, "SELECT DISTINCT provider FROM kuota.penerima "
                                     "WHERE alasan = 'tanpa_respons_provider'") == [("tri",)]
