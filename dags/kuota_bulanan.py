"""
### kuota_bulanan: the monthly run of the internet-quota aid programme

Trigger it once per period (`periode`, `YYYY-MM`) with the Dapodik cutoff export to use.

**Step 1, cutoff snapshot** (`cutoff_snapshot`)
1. `verify_manifest`: `periode` is a month (`YYYY-MM`); the export's `manifest.json` lists
   the three tables and nothing else; every file is present and its sha256 matches. A
   mismatch fails here, naming the file.
2. `load_snapshot`: a period already bound to another cutoff is refused before anything is
   loaded. Each table is streamed into PostgreSQL with `COPY`, type-checked in SQL
   and published, immutable, under its cutoff. Rows that break their type are reported as
   `format_tidak_valid` with their line (see the task log and
   `snapshot.format_tidak_valid`), never dropped. A file that cannot be read (a byte that is
   not UTF-8, a NUL byte, broken quoting or gzip) fails, naming the file, its line and the
   rule, with nothing of it loaded. Re-running is safe: tables already loaded are skipped,
   so a failed run picks up where it stopped.
3. `check_snapshot`: the Great Expectations suite of the loaded tables (keys present and
   unique, codes in their sets, row counts equal to the manifest), and the volume: rows per
   table and province against the previous cutoff, within the policy `ambang_volume_cutoff`
   (default ±20%) unless `pengecualian_volume_cutoff` waives it (README). The first cutoff
   has nothing to compare with and passes, as its log says.

Contract and quality failures of these steps fail at once (no retry): a broken file does not
heal.

**Step 2, screening** (`screening`): every cutoff record of the period ends in exactly one
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

**Then the stages (tahap)**: this run opens the period. Trigger `kuota_tahap` with the period and
`tahap` 1, 2, ... (in 2020 around the 15th and the 28th): each stage run advances whatever is
ready (corrections, validation with providers, SPTJM, decisions, injection, reconciliation and
the period export) and returns; see that DAG's docs.

`run_summary` prints the counts of the run and the screening funnel.

Connections: `kuota_warehouse` (PostgreSQL) and `kuota_s3` (AWS/S3, with `endpoint_url`
in its extra for MinIO or the local stack).
"""
from __future__ import annotations

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import Param, dag, task, task_group
from kuota_airflow import DAG_DEFAULTS, WAREHOUSE, add_verdict, dsn, final, period_params, storage

from kuota import SQL_DIR, pipeline, quality, residu, screening
from kuota.db import MIGRATIONS


@dag(
    dag_id="kuota_bulanan",
    doc_md=__doc__,
    template_searchpath=[str(SQL_DIR)],
    tags=["kuota", "bulanan"],
    params=period_params(
        cutoff_uri=Param("s3://kuota/dapodik/cutoff-2020-09-11", type="string",
                         description="The Dapodik cutoff export: s3://bucket/prefix or a local directory."),
    ),
    **DAG_DEFAULTS,
)
def kuota_bulanan():
    prepare = SQLExecuteQueryOperator(task_id="prepare_warehouse", conn_id=WAREHOUSE,
                                      sql=[f"{name}.sql" for name in MIGRATIONS])

    @task_group(group_id="cutoff_snapshot")
    def cutoff_snapshot():
        @task
        def verify_manifest(params=None) -> dict:
            return final(pipeline.verify_cutoff, storage(), params["cutoff_uri"], params["periode"])

        @task
        def load_snapshot(manifest: dict, params=None) -> dict:
            return final(pipeline.load_snapshot, dsn(), storage(), manifest, params["periode"])

        @task
        def check_snapshot(loaded: dict, params=None) -> dict:
            return final(quality.check_snapshot, dsn(), loaded["cutoff_id"], params["periode"])

        check_snapshot(load_snapshot(verify_manifest()))

    @task_group(group_id="screening")
    def screening_stage():
        @task
        def record_policies(params=None) -> dict:
            return screening.policies(dsn(), params["periode"])

        @task
        def normalize_numbers(params=None) -> dict:
            return final(screening.normalize_numbers, dsn(), params["periode"])

        @task
        def screen_records(params=None) -> dict:
            return final(screening.screen, dsn(), params["periode"])

        @task
        def check_screening(params=None) -> dict:
            return final(quality.check_screening, dsn(), params["periode"])

        @task
        def residu_to_schools(params=None) -> dict:
            return residu.write_residu(dsn(), storage(), params["exchange_uri"], params["periode"])

        record_policies() >> normalize_numbers() >> screen_records() >> check_screening() >> residu_to_schools()

    @task(trigger_rule="all_done")
    def run_summary(params=None) -> str:
        text = pipeline.summary(dsn(), params["periode"])
        print(text)
        return text

    prepare >> cutoff_snapshot() >> screening_stage() >> run_summary()
    add_verdict()


kuota_bulanan()
