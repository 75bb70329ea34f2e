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

**Stage 3, validation exchange with providers** (`validation_exchange`, exchange.md §2)
1. `plan_batches` (one per provider with numbers to ask about, dynamic mapping): every
   distinct number waiting goes into a batch of at most `ukuran_batch` rows; its recipients
   become `dikirim_validasi`. Batch ids hash their content; planned once, so a re-run plans
   nothing new.
2. `list_batches`, then for each batch of the period (mapped group `batch`, one instance per
   batch, named by its id):
   - `send_batch`: `provider/<p>/<periode>/validasi/<batch_id>.csv.gz`, then its manifest.
     Only `request_id` and `msisdn` leave. A re-send writes the same bytes.
   - `wait_for_answer`: deferred on the triggerer (no worker slot) until the answer's
     manifest is there or the deadline `batas_jawaban` passes (then: skipped).
   - `ingest_answer`: manifest, sha256 and every row checked; recipients become `valid` or
     residu (`nomor_tidak_aktif`, `masa_tenggang`, `tidak_dikenal_provider`). A bad answer is
     quarantined whole under `karantina/` with an error file, and the task fails naming the
     batch and the first offending rows. An answer seen again is ignored; a different one is
     quarantined and the first stands.
3. `close_unanswered`: after the deadline, requests still unanswered become residu
   `tanpa_respons_provider` (before it, nothing).
4. `refresh_residu`: the schools' residu files again, with the providers' answers.
5. `check_validation`: fails while a quarantined batch is not redone (naming it), or if the
   ledger and the recipients disagree.

**Redo a failed provider batch**: in the grid, clear `validation_exchange.batch.send_batch`
for that batch's map index (named by its batch id) *with downstream*: the batch is re-sent
byte-identical, waited for and ingested alone; other batches and providers are untouched.
Without the UI: `kuota redo-batch --batch-id <id>` (README, runbook).

`run_summary` prints the counts of the run, the screening funnel and, per provider, the
batches and the valid/residu split.

Connections: `kuota_warehouse` (PostgreSQL) and `kuota_s3` (AWS/S3, with `endpoint_url`
in its extra for MinIO or the local stack).
"""
from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import Param, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowFailException

from kuota import SQL_DIR, exchange, pipeline, quality, residu, screening
from kuota.db import MIGRATIONS
from kuota.manifest import ContractError
from kuota.quality import QualityError
from kuota.storage import Storage
from kuota_sensors import ProviderAnswerSensor

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


def _answer_loaded(batch_id: str) -> bool:
    return exchange.answer_loaded(_dsn(), batch_id)


def _label(**names) -> None:
    """Values the task's map_index_template shows in the UI (the provider, the batch)."""
    get_current_context().update(names)


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
        "ukuran_batch": Param(exchange.DEFAULT_BATCH_ROWS, type="integer", minimum=1,
                              description="Rows per validation batch sent to a provider."),
        "batas_jawaban": Param("", type="string",
                               description="Deadline for providers' answers, ISO 8601 with offset "
                                           "(e.g. 2020-09-28T23:59:00+07:00). Empty: the period's last "
                                           "day, 23:59 WIB. Unanswered requests then become residu "
                                           "tanpa_respons_provider."),
        "poll_detik": Param(60, type="integer", minimum=1,
                            description="How often the triggerer looks for an answer, in seconds."),
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

    @task_group(group_id="validation_exchange")
    def validation_exchange():
        @task
        def providers_to_validate(params=None) -> list[str]:
            return exchange.providers_to_validate(_dsn(), params["periode"])

        @task(map_index_template="{{ provider }}")
        def plan_batches(provider: str, params=None) -> int:
            _label(provider=provider)
            return len(_final(exchange.plan_validation, _dsn(), params["periode"], provider, params["ukuran_batch"]))

        @task
        def list_batches(params=None) -> list[dict]:
            return exchange.batches_of(_dsn(), params["periode"])

        @task_group(group_id="batch")
        def per_batch(batch: dict):
            @task(map_index_template="{{ batch_id }}")
            def send_batch(batch: dict, params=None) -> dict:
                _label(batch_id=batch["batch_id"])
                return _final(exchange.send_batch, _dsn(), _storage(), params["exchange_uri"], batch["batch_id"])

            wait = ProviderAnswerSensor(
                task_id="wait_for_answer", batch=batch, exchange_uri="{{ params.exchange_uri }}",
                periode="{{ params.periode }}", deadline="{{ params.batas_jawaban }}",
                poll_seconds="{{ params.poll_detik }}", aws_conn_id=S3, already_loaded=_answer_loaded,
                map_index_template="{{ task.batch['batch_id'] }}")

            @task(map_index_template="{{ batch_id }}")
            def ingest_answer(batch: dict, params=None) -> dict:
                _label(batch_id=batch["batch_id"])
                return _final(exchange.ingest_answer, _dsn(), _storage(), params["exchange_uri"], batch["batch_id"])

            send_batch(batch) >> wait >> ingest_answer(batch)

        @task(trigger_rule="all_done")
        def close_unanswered(params=None) -> dict:
            return exchange.close_unanswered(_dsn(), params["periode"],
                                             exchange.parse_deadline(params["batas_jawaban"], params["periode"]),
                                             storage=_storage(), exchange_uri=params["exchange_uri"])

        @task
        def refresh_residu(params=None) -> dict:
            return residu.write_residu(_dsn(), _storage(), params["exchange_uri"], params["periode"])

        @task(trigger_rule="all_done")
        def check_validation(params=None) -> dict:
            return _final(exchange.check_validation, _dsn(), params["periode"])

        batches = list_batches()
        plan_batches.expand(provider=providers_to_validate()) >> batches
        closed = close_unanswered()
        per_batch.expand(batch=batches) >> closed >> refresh_residu() >> check_validation()

    @task(trigger_rule="all_done")
    def run_summary(params=None) -> str:
        text = pipeline.summary(_dsn(), params["periode"])
        print(text)
        return text

    @task(trigger_rule="one_failed", retries=0)
    def any_task_failed() -> None:
        """The run's verdict: tasks after a failure still run (the close, the summary), so the
        run is marked failed here, once, whenever any task failed."""
        raise AirflowFailException("a task of this run failed: see that task's log and the run summary")

    prepare >> cutoff_snapshot() >> screening_stage() >> validation_exchange() >> run_summary()
    verdict = any_task_failed().operator
    [t for t in verdict.dag.tasks if t is not verdict] >> verdict


kuota_bulanan()
