"""CeleryExecutor as scripts/airflow.sh runs it (``KUOTA_EXECUTOR=celery``, the Celery demo's
Airflow): the stack's Redis as the broker, two workers. A monthly run triggered through the
REST API is done by both workers, the residu files a province per task; the stop ends the
workers too (they retitle themselves, and a stop that looked only for 'airflow' in a process's
command line once left them running)."""

from __future__ import annotations

import re

import pytest

from .conftest import cutoff, future_deadline, started_airflow


@pytest.fixture(scope="module")
def celery_airflow(tmp_path_factory, template_db, s3):
    """Its own Airflow on CeleryExecutor, stopped after this module (the module's only test)."""
    with started_airflow(
        tmp_path_factory, template_db, s3, KUOTA_EXECUTOR="celery", KUOTA_CELERY_CONCURRENCY="2"
    ) as af:
        yield af


def test_two_celery_workers_share_a_monthly_run(celery_airflow, storage_session):
    airflow, periode = celery_airflow, "2020-10"
    uri = cutoff(storage_session, airflow.bucket, periode)
    run_id = airflow.trigger_monthly(periode, uri, future_deadline())
    run = airflow.wait("kuota_bulanan", run_id)
    states = airflow.states("kuota_bulanan", run_id)
    assert run["state"] == "success", states

    # The residu files a province per task, each named by its province in the UI.
    provinces = [p for (p,) in airflow.query("SELECT DISTINCT kode_provinsi FROM snapshot.sekolah ORDER BY 1")]
    mapped = airflow.mapped("kuota_bulanan", run_id, "screening.residu_to_schools")
    assert [ti["state"] for ti in mapped] == ["success"] * len(provinces) and len(provinces) > 1
    assert [ti["rendered_map_index"].split()[0] for ti in mapped] == provinces, [
        ti["rendered_map_index"] for ti in mapped
    ]

    # Both workers took tasks, and every task that ran was taken by one of them.
    ran = [ti for ti in airflow.task_instances("kuota_bulanan", run_id) if ti["state"] == "success"]
    taken = {}
    for worker in ("worker-1", "worker-2"):
        log = (airflow.home / "run" / f"{worker}.log").read_text()
        taken[worker] = len(re.findall(r"Task execute_workload\[[0-9a-f-]+\] succeeded", log))
    assert all(taken.values()) and sum(taken.values()) == len(ran), (taken, len(ran))
