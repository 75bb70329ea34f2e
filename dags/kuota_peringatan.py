"""
### kuota_peringatan: the operators' alerts between stage runs

Stage runs come days apart (the 15th, the 28th, the 1st), but a provider silent on a batch
or a deadline coming close is news within hours. This DAG runs the same check as the end of
every `kuota_tahap` run (`alerts.notify_operators`), hourly at :15 (`KUOTA_JADWAL_PERINGATAN`,
a cron in Jakarta time, changes it per environment), over every open period:

- a partner file quarantined (a provider's answer, a school's correction or decision file):
  the file, the error, where it was moved and what to do;
- a provider silent on a batch for longer than `KUOTA_ALERT_SILENT_HOURS` (default 24) with
  requests still open;
- a period within `KUOTA_ALERT_DEADLINE_HOURS` (default 48) of its deadline with provider
  requests still open, and how to give more time.

Each alert is mailed once, whichever run finds it first (`kuota.peringatan`); a mail the
SMTP server refused fails the task and is sent by the next run. Mails go through the Airflow
connection `kuota_smtp` to `KUOTA_ALERT_TO`; without them alerts are off (said once in the
log). No name, NISN, NIK or phone number is in any mail. A failed run of this DAG mails too.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from kuota_airflow import DAG_DEFAULTS, timetable
from kuota_airflow.alerts import RunFailedAlert, notify_operators


@dag(
    dag_id="kuota_peringatan",
    doc_md=__doc__,
    schedule=timetable("KUOTA_JADWAL_PERINGATAN", "15 * * * *"),
    tags=["kuota", "peringatan"],
    on_failure_callback=RunFailedAlert(),
    **DAG_DEFAULTS,
)
def kuota_peringatan():
    @task(task_id="notify_operators")
    def notify() -> dict:
        return notify_operators()

    notify()


kuota_peringatan()
