"""
### kuota_bulanan: the monthly run of the internet-quota aid programme

Trigger it once per period (`periode`, `YYYY-MM`) with the Dapodik cutoff export to use.

**Stage 1, cutoff snapshot** (`cutoff_snapshot`)
1. `verify_manifest`: the export's `manifest.json` lists the three tables; every file is
   present and its sha256 matches. A mismatch fails here, naming the file.
2. `load_snapshot`: each table is streamed into PostgreSQL with `COPY`, type-checked in SQL
   and published, immutable, under its cutoff. Rows that break their type are reported as
   `format_tidak_valid` with their line (see the task log and
   `snapshot.format_tidak_valid`), never dropped. Re-running is safe: tables already loaded
   are skipped, so a failed run picks up where it stopped.
3. `check_snapshot`: the Great Expectations suite of the loaded tables (keys present and
   unique, codes in their sets, row counts equal to the manifest).

**Stage 2, screening** (`screening`): every cutoff record of the period ends in exactly one
state in `kuota.penerima`: `residu` with the first reason that applies (domain.md precedence),
or `siap_validasi`.
1. `record_policies`: the policy values in force on the period's first day (`kuota.kebijakan`),
   recorded once for the period; re-runs and backfills reuse them.
2. `normalize_numbers`: what operators typed becomes an MSISDN, in SQL (`kuota.msisdn`).
3. `screen_records`: K1, K2 (NISN and PTK dedup, then the similarity index for one pupil
   under two NISNs: every scored pair in `kuota.kemiripan`, twins ruled out), numbers
   (provider by effective-dated prefix, shared numbers), K3, packages. Once per period: a
   re-run changes nothing.
4. `check_screening`: the GX suite: the states add up to the cutoff, one known reason per residu,
   every eligible record has its MSISDN, provider and package.
5. `residu_to_schools`: `portal/<periode>/residu/<npsn>.csv` (+ manifest) for every school with
   residu, and `portal/<periode>/rekap_residu.csv` (per province, district and school, by
   reason). Only files whose content changed are rewritten.

`run_summary` prints the counts of the run and the screening funnel.

Connections: `kuota_warehouse` (PostgreSQL) and `kuota_s3` (AWS/S3, with `endpoint_url`
in its extra for MinIO or the local stack).
"""
from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import Param, dag, task, task_group
from airflow.sdk.exceptions import AirflowFailException

from kuota import SQL_DIR, pipeline, quality, residu, screening
from kuota.db import MIGRATIONS
from kuota.manifest import ContractError
from kuota.quality import QualityError
from kuota.storage import Storage

WAREHOUSE = "kuota_warehouse"
S3 = "kuota_s3"


def _dsn() -> str:
    return PostgresHook(postgres_conn_id=WAREHOUSE).get_uri()


def _storage() -> Storage:
    return Storage(S3Hook(aws_conn_id=S3).get_conn())


def _final(fn, *args):
    """A broken file or a failed suite will not heal by retrying: fail at once, say why."""
    try:
        return fn(*args)
    except (ContractError, QualityError) as err:
        raise AirflowFailException(str(err)) from err


@dag(
    dag_id="kuota_bulanan",
    schedule=None,
    start_date=pendulum.datetime(2020, 9, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    template_searchpath=[str(SQL_DIR)],
    tags=["kuota", "bulanan"],
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
    params={
        "periode": Param("2020-09", type="string", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                         description="The period (month) of this run, YYYY-MM."),
        "cutoff_uri": Param("s3://kuota/dapodik/cutoff-2020-09-11", type="string",
                            description="The Dapodik cutoff export: s3://bucket/prefix or a local directory."),
        "exchange_uri": Param("s3://kuota/exchange", type="string",
                              description="Root of the provider and portal exchange (exchange.md §2-3)."),
        "output_uri": Param("s3://kuota/output", type="string",
                            description="Where the period export goes (exchange.md §4)."),
    },
)
def kuota_bulanan():
    prepare = SQLExecuteQueryOperator(task_id="prepare_warehouse", conn_id=WAREHOUSE,
                                      sql=[f"{name}.sql" for name in MIGRATIONS])

    @task_group(group_id="cutoff_snapshot")
    def cutoff_snapshot():
        @task
        def verify_manifest(params=None) -> dict:
            return _final(pipeline.verify_cutoff, _storage(), params["cutoff_uri"])

        @task
        def load_snapshot(manifest: dict, params=None) -> dict:
            return _final(pipeline.load_snapshot, _dsn(), _storage(), manifest, params["periode"])

        @task
        def check_snapshot(loaded: dict) -> dict:
            return _final(quality.check_snapshot, _dsn(), loaded["cutoff_id"])

        check_snapshot(load_snapshot(verify_manifest()))

    @task_group(group_id="screening")
    def screening_stage():
        @task
        def record_policies(params=None) -> dict:
            return screening.policies(_dsn(), params["periode"])

        @task
        def normalize_numbers(params=None) -> dict:
            return _final(screening.normalize_numbers, _dsn(), params["periode"])

        @task
        def screen_records(params=None) -> dict:
            return _final(screening.screen, _dsn(), params["periode"])

        @task
        def check_screening(params=None) -> dict:
            return _final(quality.check_screening, _dsn(), params["periode"])

        @task
        def residu_to_schools(params=None) -> dict:
            return residu.write_residu(_dsn(), _storage(), params["exchange_uri"], params["periode"])

        record_policies() >> normalize_numbers() >> screen_records() >> check_screening() >> residu_to_schools()

    @task
    def run_summary(params=None) -> str:
        text = pipeline.summary(_dsn(), params["periode"])
        print(text)
        return text

    prepare >> cutoff_snapshot() >> screening_stage() >> run_summary()


kuota_bulanan()
