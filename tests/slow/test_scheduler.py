"""A period on the real scheduler (scripts/airflow.sh, as ``make airflow``), triggered through
the REST API beside the simulators; one provider batch quarantined, redone the README
runbook's way: clearTaskInstances of that batch's send_batch map index, with downstream."""

from __future__ import annotations

import json
import re

from kuota.partners.contract import PROVIDERS

SEND = "validation.batch.send_batch"
GROUP = ("validation.batch.send_batch", "validation.batch.wait_for_answer", "validation.batch.ingest_answer")


def _flat(states: dict) -> dict[str, set]:
    return {t: s if isinstance(s, set) else {s} for t, s in states.items()}


def test_a_quarantined_batch_cleared_through_the_rest_api_is_redone_once(airflow, failed_stage, storage_session):
    dag, run_id, periode = "kuota_tahap", failed_stage["run_id"], failed_stage["periode"]
    monthly = _flat(airflow.states("kuota_bulanan", failed_stage["monthly_run"]))
    assert all(s <= {"success", "skipped"} for t, s in monthly.items() if t != "any_task_failed"), monthly

    # The stage failed at the quarantined batch only: its ingest_answer, and check_exchange.
    assert failed_stage["run"]["state"] == "failed"
    states = _flat(airflow.states(dag, run_id))
    assert states["validation.batch.ingest_answer"] == {"success", "failed"}, states
    assert states["reconciliation.check_exchange"] == {"failed"} and states["any_task_failed"] == {"failed"}, states
    ((bad,),) = airflow.query(
        "SELECT b.batch_id FROM kuota.jawaban j JOIN kuota.batch b USING (batch_id) "
        "WHERE j.hasil = 'dikarantina' AND b.jenis = 'validasi'"
    )
    assert bad.startswith(f"V-{periode}-xl-"), bad
    sent_uri = f"{airflow.exchange_uri}/provider/xl/{periode}/validasi/{bad}.csv.gz"
    sent = storage_session.read_bytes(sent_uri)

    # The map index of that batch, as the UI shows it: rendered_map_index = the batch id.
    instances = airflow.mapped(dag, run_id, SEND)
    labels = [ti["rendered_map_index"] for ti in instances]
    assert set(labels) == {b for (b,) in airflow.query("SELECT batch_id FROM kuota.batch WHERE jenis = 'validasi'")}, (
        labels
    )
    (index,) = [ti["map_index"] for ti in instances if ti["rendered_map_index"] == bad]
    failed = [ti for ti in airflow.mapped(dag, run_id, "validation.batch.ingest_answer") if ti["state"] == "failed"]
    assert [ti["map_index"] for ti in failed] == [index] and failed[0]["rendered_map_index"] == bad

    # clearTaskInstances: [task_id, map_index], downstream, not only the failed (send_batch
    # succeeded: it must run again to re-send the batch). A dry run first, as the runbook says.
    body = {
        "dag_run_id": run_id,
        "task_ids": [[SEND, index]],
        "include_downstream": True,
        "only_failed": False,
        "reset_dag_runs": True,
    }
    preview = airflow.api("POST", f"/api/v2/dags/{dag}/clearTaskInstances", json={**body, "dry_run": True})
    cleared = {(ti["task_id"], ti["map_index"]) for ti in preview["task_instances"]}
    assert {(t, index) for t in GROUP} <= cleared, sorted(cleared)
    # That batch alone in its group (3.1 and 3.2 cleared every index of the group's downstream
    # tasks, apache/airflow#64526); the injection group downstream of sptjm is cleared whole.
    assert {i for t, i in cleared if t in GROUP} == {index}, sorted(cleared)
    assert ("reconciliation.check_exchange", -1) in cleared and ("any_task_failed", -1) in cleared
    assert not [
        t
        for t, _ in cleared
        if t.startswith(("validation.plan_batches", "validation.list_batches", "cutoff", "open_stage"))
    ], sorted(cleared)
    assert airflow.run(dag, run_id)["state"] == "failed"  # a dry run changes nothing
    done = airflow.api("POST", f"/api/v2/dags/{dag}/clearTaskInstances", json={**body, "dry_run": False})
    assert {(ti["task_id"], ti["map_index"]) for ti in done["task_instances"]} == cleared

    # The scheduler runs them again: the batch re-sent (same bytes), answered cleanly by the
    # simulator, ingested; the stage goes on and the run turns green.
    run = airflow.wait(dag, run_id)
    states = _flat(airflow.states(dag, run_id))
    bad_states = {
        t: s for t, s in states.items() if t != "any_task_failed" and not s <= {"success", "skipped", "removed"}
    }
    assert run["state"] == "success" and not bad_states and states["any_task_failed"] == {"skipped"}, states
    assert storage_session.read_bytes(sent_uri) == sent
    # What the run shows now is the redo alone (README runbook): a new start, the redo's state;
    # the first attempt is in the tries and the audit log.
    assert run["start_date"] > failed_stage["run"]["end_date"]
    tries = airflow.api(
        "GET", f"/api/v2/dags/{dag}/dagRuns/{run_id}/taskInstances/validation.batch.ingest_answer/{index}/tries"
    )["task_instances"]
    assert [(t["try_number"], t["state"]) for t in tries] == [(1, "failed"), (2, "success")], tries
    events = airflow.paged("/api/v2/eventLogs", "event_logs", dag_id=dag, event="post_clear_task_instances")
    assert [(e["owner"], json.loads(e["extra"])["task_ids"], json.loads(e["extra"])["dry_run"]) for e in events] == [
        (airflow.user, [[SEND, index]], False)
    ], events
    send = airflow.mapped(dag, run_id, SEND)[index]
    assert send["rendered_map_index"] == bad and send["try_number"] == 2 and send["state"] == "success"

    # The ledger: each batch's answer loaded once (the quarantined one too, now), every
    # validation batch answered, no recipient injected twice.
    assert airflow.query("SELECT hasil FROM kuota.jawaban WHERE batch_id = %s ORDER BY diterima_at", (bad,)) == [
        ("dikarantina",),
        ("dimuat",),
    ]
    assert (
        airflow.query("SELECT batch_id FROM kuota.jawaban WHERE hasil = 'dimuat' GROUP BY 1 HAVING count(*) > 1") == []
    )
    assert airflow.query(
        "SELECT count(*) FROM kuota.batch b WHERE jenis = 'validasi' AND NOT EXISTS "
        "(SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat')"
    ) == [(0,)]
    assert airflow.query("SELECT jenis, id FROM kuota.injeksi GROUP BY 1, 2 HAVING count(*) > 1") == []
    paid = airflow.query(
        "SELECT i.jenis, i.id::text FROM kuota.injeksi i JOIN kuota.permintaan r "
        "USING (request_id) WHERE r.hasil = 'berhasil'"
    )
    assert paid and len(paid) == len(set(paid))
    # The redone batch's recipients went on: validated, on an SPTJM, injected in the same run.
    assert airflow.query("SELECT count(*) FROM kuota.permintaan WHERE batch_id = %s AND hasil IS NULL", (bad,)) == [
        (0,)
    ]
    ((injected,),) = airflow.query(
        "SELECT count(*) FROM kuota.injeksi WHERE provider = 'xl' AND msisdn IN (SELECT msisdn FROM kuota.permintaan "
        "WHERE batch_id = %s AND hasil IN ('aktif', 'pascabayar'))",
        (bad,),
    )
    assert injected > 0
    assert {p for (p,) in airflow.query("SELECT DISTINCT provider FROM kuota.injeksi")} <= set(PROVIDERS)

    # The logs as the user reads them (REST API): the S3 paths readable, nothing masked in them.
    first = airflow.log(dag, run_id, SEND, 1, index)
    again = airflow.log(dag, run_id, SEND, 2, index)
    ingest = airflow.log(dag, run_id, "validation.batch.ingest_answer", 1, index)
    assert f"batch {bad} is in place" in first or sent_uri in first, first[-3000:]
    assert f"sent {bad}" in again and sent_uri in again, again[-3000:]
    quarantine = f"s3://{airflow.bucket}/exchange/karantina/provider/xl/{periode}/validasi/{bad}.hasil-"
    assert quarantine in ingest, ingest[-3000:]
    for text in (first, again, ingest):
        paths = re.findall(r"s3://\S+", text)
        assert paths and not [p for p in paths if "***" in p], paths
