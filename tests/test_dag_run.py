"""The monthly DAG run by Airflow itself (``airflow dags test``) on the real stack.

Each run gets the test's own warehouse database and bucket through the same connection ids
the deployment uses (AIRFLOW_CONN_KUOTA_WAREHOUSE, AIRFLOW_CONN_KUOTA_S3).
"""
from __future__ import annotations

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


def _run_dag(env: dict, dsn: str, bucket: str, periode: str, cutoff_uri: str) -> tuple[int, str, dict]:
    env = dict(env, AIRFLOW_CONN_KUOTA_WAREHOUSE=db.libpq_dsn(dsn))
    conf = {"periode": periode, "cutoff_uri": cutoff_uri,
            "exchange_uri": f"s3://{bucket}/exchange", "output_uri": f"s3://{bucket}/output"}
    done = subprocess.run([AIRFLOW, "dags", "test", "kuota_bulanan", "-c", json.dumps(conf)],
                          env=env, capture_output=True, text=True, timeout=600)
    with db.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn, conn.cursor() as cur:
        cur.execute("""SELECT ti.task_id, ti.state FROM task_instance ti JOIN dag_run r USING (dag_id, run_id)
                       WHERE r.dag_id = 'kuota_bulanan' AND r.conf::text LIKE %s""", (f"%{cutoff_uri}%",))
        states = dict(cur.fetchall())
    return done.returncode, done.stdout + done.stderr, states


def test_monthly_dag_loads_a_cutoff_end_to_end(airflow_env, dsn, storage, bucket):
    uri = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(uri, generator.Scale.for_students(2_000), seed=5, storage=storage)
    code, log, states = _run_dag(airflow_env, dsn, bucket, "2020-09", uri)
    assert code == 0, log[-3000:]
    assert set(states.values()) == {"success"}, states
    assert len(states) >= 10
    (manifest_rows, loaded, invalid), = query(dsn, "SELECT sum(manifest_rows), sum(loaded_rows), sum(invalid_rows)"
                                                   " FROM snapshot.cutoff_file")
    assert loaded + invalid == manifest_rows > 2_000
    assert query(dsn, "SELECT periode FROM kuota.periode") == [("2020-09",)]
    assert "format_tidak_valid" in log and "screening funnel" in log and "similarity index:" in log  # the run summary
    (screened,), = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE periode = '2020-09'")
    assert screened > 2_000  # and check_screening, which proves the count, succeeded
    assert storage.list_names(f"s3://{bucket}/exchange/portal/2020-09/residu")  # residu went to schools


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
