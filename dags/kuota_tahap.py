"""
### kuota_tahap: one stage (tahap) of an opened period

A period is opened by `kuota_bulanan` (cutoff, screening, residu to schools). Then the month
runs in stages (domain.md flow 10): trigger this DAG with `periode` and `tahap` (1, then 2, ...;
in 2020 around the 15th and the 28th). Each run advances everything that is ready, and
nothing else, so the same stage run twice changes nothing the second time. No run is held
open for weeks: every wait is bounded by `tunggu_menit` and happens on the triggerer; what is
still outstanding then simply waits for the next stage run.

1. `open_stage`: records the stage (once).
2. `corrections`: `ingest_corrections` takes the schools' files in `portal/<periode>/koreksi/`
   (manifest-checked, quarantined whole when broken; the manifest's `npsn` binds the file to
   its school, and a row for another school's record is refused and reported): a corrected number is screened again by
   the number rules and re-enters validation in this stage; a correction of a record already
   on an SPTJM is refused and reported, never applied. After the deadline, files wait unconsumed.
3. `validation` (exchange.md §2, validasi): `recheck_answers` lists the answers already loaded
   and quarantines any a provider overwrote since (the first stands; a provider anomaly);
   `plan_batches` per provider (map index = provider)
   for every number waiting, then the mapped group `batch` (map index = batch id) over every
   validation batch with requests still open: `send_batch` (only if not in place, or re-asked
   after a quarantine), `wait_for_answer` (deferred), `ingest_answer`.
4. `sptjm` (exchange.md §3): `issue_sptjm` gives every school with `valid` records not yet on
   an SPTJM its next `SPTJM-<periode>-<npsn>-<seq>` and locks those records; `write_sptjm`
   puts the CSV, the printable PDF and the manifest in `portal/<periode>/sptjm/<npsn>/`;
   `collect_decisions` takes the principals' decisions (`persetujuan/`), waiting on the
   triggerer for new files while SPTJMs are undecided.
5. `injection` (exchange.md §2, injeksi): like validation, for every recipient on an approved
   SPTJM: one row per recipient package. After the deadline nothing new is planned (of
   either kind). The database refuses an injection request without an
   approved SPTJM listing that record with that number and package, and a second one for a
   recipient in the period. Failures become residu `injeksi_gagal` with the provider's reason;
   a repeated `berhasil` is recorded as a provider anomaly and never counted twice.
6. `close_at_deadline`: once `batas_jawaban` has passed, open requests of either kind become
   residu `tanpa_respons_provider` (before it: nothing). `refresh_residu` rewrites the schools'
   residu files.
7. `reconciliation`: `check_exchange` fails while a quarantined answer is not redone (naming
   the batch); `check_reconciliation` (Great Expectations) proves per provider requested =
   succeeded + failed + unanswered + waiting, and that the ledger agrees with the recipients;
   `export_period` writes `<output_uri>/<periode>/status_penerima.csv.gz` + `rekap.csv` (§4)
   and the BAST per provider (`bast/<provider>.csv` + `.pdf`: packages and GB paid).
8. `run_summary`, then `any_task_failed`, the run's verdict.

**Redo a failed provider batch**: a quarantined answer is asked again by the next stage run
(its batch is re-sent, byte-identical). At once: in this run's grid, clear
`validation.batch.send_batch` (or `injection.batch.send_batch`) for that batch's map index
with *Downstream*; or `kuota redo-batch --batch-id <id>`. A batch's answer is loaded at most
once, and a recipient is injected at most once per period, whatever is cleared or re-run.
"""
from __future__ import annotations

from airflow.sdk import Param, dag, task, task_group
from kuota_airflow import DAG_DEFAULTS, S3, add_verdict, dsn, final, label, period_params, storage
from kuota_sensors import DecisionCollector, ProviderAnswerSensor

from kuota import ekspor, exchange, pipeline, portal, quality, residu, sptjm


def _answer_loaded(batch_id: str) -> bool:
    return exchange.answer_loaded(dsn(), batch_id)


def _collect(periode: str, exchange_uri: str, tahap: int) -> dict:
    return sptjm.collect_decisions(dsn(), storage(), exchange_uri, periode, tahap)


def provider_exchange(kind: str):
    """Plan per provider, then send, wait for and ingest every batch of ``kind`` still open."""

    @task
    def providers(params=None) -> list[str]:
        return exchange.providers_to(dsn(), params["periode"], kind)

    @task(map_index_template="{{ provider }}")
    def plan_batches(provider: str, params=None) -> int:
        label(provider=provider)
        deadline = final(exchange.parse_deadline, params["batas_jawaban"], params["periode"])
        return len(final(exchange.plan, dsn(), params["periode"], provider, kind, params["ukuran_batch"],
                         params["tahap"], deadline))

    @task(trigger_rule="none_failed")
    def list_batches(params=None) -> list[dict]:
        return exchange.open_batches(dsn(), params["periode"], kind)

    @task
    def recheck_answers(params=None) -> dict:
        """Answers already loaded that the provider overwrote since: quarantined, the first stands."""
        return exchange.recheck_answered(dsn(), storage(), params["exchange_uri"], params["periode"], kind)

    @task_group(group_id="batch")
    def per_batch(batch: dict):
        @task(map_index_template="{{ batch_id }}")
        def send_batch(batch: dict, params=None) -> dict:
            label(batch_id=batch["batch_id"])
            return final(exchange.send_batch, dsn(), storage(), params["exchange_uri"], batch["batch_id"])

        wait = ProviderAnswerSensor(
            task_id="wait_for_answer", batch=batch, kind=kind, exchange_uri="{{ params.exchange_uri }}",
            periode="{{ params.periode }}", deadline="{{ params.batas_jawaban }}",
            poll_seconds="{{ params.poll_detik }}", wait_minutes="{{ params.tunggu_menit }}", aws_conn_id=S3,
            already_loaded=_answer_loaded, map_index_template="{{ task.batch['batch_id'] }}")

        @task(map_index_template="{{ batch_id }}")
        def ingest_answer(batch: dict, params=None) -> dict:
            label(batch_id=batch["batch_id"])
            return final(exchange.ingest_answer, dsn(), storage(), params["exchange_uri"], batch["batch_id"])

        send_batch(batch) >> wait >> ingest_answer(batch)

    batches = list_batches()
    recheck_answers()
    plan_batches.expand(provider=providers()) >> batches
    return per_batch.expand(batch=batches)


@dag(
    dag_id="kuota_tahap",
    doc_md=__doc__,
    tags=["kuota", "tahap"],
    params=period_params(
        tahap=Param(1, type="integer", minimum=1, description="The stage of the period: 1, 2, ..."),
        ukuran_batch=Param(exchange.DEFAULT_BATCH_ROWS, type="integer", minimum=1,
                           description="Rows per batch sent to a provider."),
        batas_jawaban=Param("", type="string",
                            description="The period's deadline for answers, ISO 8601 with offset "
                                        "(e.g. 2020-09-30T23:59:00+07:00). Empty: the period's last day, 23:59 "
                                        "WIB. Requests unanswered then become residu tanpa_respons_provider."),
        tunggu_menit=Param(120, type="number", minimum=0,
                           description="How long this stage waits (on the triggerer) for providers' answers and "
                                       "SPTJM decisions; what is still outstanding waits for the next stage."),
        poll_detik=Param(60, type="integer", minimum=1,
                         description="How often the triggerer looks for partners' files, in seconds."),
    ),
    **DAG_DEFAULTS,
)
def kuota_tahap():
    @task
    def open_stage(params=None) -> dict:
        return final(pipeline.open_stage, dsn(), params["periode"], params["tahap"])

    @task_group(group_id="corrections")
    def corrections():
        @task
        def ingest_corrections(params=None) -> dict:
            deadline = final(exchange.parse_deadline, params["batas_jawaban"], params["periode"])
            return portal.ingest_corrections(dsn(), storage(), params["exchange_uri"], params["periode"],
                                             params["tahap"], deadline)

        ingest_corrections()

    @task_group(group_id="validation")
    def validation():
        provider_exchange("validasi")

    @task_group(group_id="sptjm")
    def sptjm_stage():
        @task(trigger_rule="all_done")
        def issue_sptjm(params=None) -> dict:
            return sptjm.issue(dsn(), params["periode"], params["tahap"])

        @task
        def write_sptjm(params=None) -> dict:
            return sptjm.write_files(dsn(), storage(), params["exchange_uri"], params["periode"])

        collect = DecisionCollector(
            task_id="collect_decisions", collect=_collect, periode="{{ params.periode }}",
            exchange_uri="{{ params.exchange_uri }}", tahap="{{ params.tahap }}", deadline="{{ params.batas_jawaban }}",
            wait_minutes="{{ params.tunggu_menit }}", poll_seconds="{{ params.poll_detik }}", aws_conn_id=S3)

        issue_sptjm() >> write_sptjm() >> collect

    @task_group(group_id="injection")
    def injection():
        provider_exchange("injeksi")

    @task_group(group_id="reconciliation")
    def reconciliation():
        @task(trigger_rule="all_done")
        def close_at_deadline(params=None) -> dict:
            return exchange.close_unanswered(dsn(), params["periode"],
                                             exchange.parse_deadline(params["batas_jawaban"], params["periode"]),
                                             storage=storage(), exchange_uri=params["exchange_uri"])

        @task(trigger_rule="all_done")
        def refresh_residu(params=None) -> dict:
            return residu.write_residu(dsn(), storage(), params["exchange_uri"], params["periode"])

        @task(trigger_rule="all_done")
        def check_exchange(params=None) -> dict:
            return final(exchange.check_exchange, dsn(), params["periode"])

        @task(trigger_rule="all_done")
        def check_reconciliation(params=None) -> dict:
            return final(quality.check_reconciliation, dsn(), params["periode"])

        @task
        def export_period(params=None) -> dict:
            exported = ekspor.write_export(dsn(), storage(), params["output_uri"], params["periode"], final=True)
            return {**exported, "bast": ekspor.write_bast(dsn(), storage(), params["output_uri"], params["periode"])}

        close_at_deadline() >> refresh_residu() >> check_exchange() >> check_reconciliation() >> export_period()

    @task(trigger_rule="all_done")
    def run_summary(params=None) -> str:
        text = pipeline.summary(dsn(), params["periode"])
        print(text)
        return text

    open_stage() >> corrections() >> validation() >> sptjm_stage() >> injection() >> reconciliation() >> run_summary()
    add_verdict()


kuota_tahap()
