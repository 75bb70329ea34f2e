"""
### kuota_tahap: one stage (tahap) of an opened period

A period is opened by `kuota_bulanan` (cutoff, screening, residu to schools) with its deadline
for answers and its stage calendar. Then the month runs in stages (domain.md flow 10): this DAG
runs at 06:00 WIB on the 15th and the 28th (2020's stage days) and on the 1st, the previous
period's closing run. A scheduled or backfilled run takes an earlier period still open past its
deadline (its closing run is owed), else the latest period opened by its month, and the stage
of that period's calendar; a manual one may name `periode` and `tahap`. Each run
advances everything that is ready, and nothing else, so the same stage run twice changes
nothing the second time. No run is held open for weeks: every wait is bounded by
`tunggu_menit` and happens on the triggerer; what is still outstanding then simply waits for
the next stage run.

1. `open_stage`: settles the period and stage and records the stage (once). A closed period
   fails the run here, with when and why it closed and how to reopen it: nothing is planned,
   sent, ingested or rewritten for a closed period (the database refuses it too).
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
   (a mapped task per province, which workers share; map index = province) puts the CSV, the
   printable PDF and the manifest in `portal/<periode>/sptjm/<npsn>/`;
   `collect_decisions` takes the principals' decisions (`persetujuan/`), waiting on the
   triggerer for new files while SPTJMs are undecided.
5. `injection` (exchange.md §2, injeksi): like validation, for every recipient on an approved
   SPTJM: one row per recipient package. After the deadline nothing new is planned (of
   either kind). The database refuses an injection request without an
   approved SPTJM listing that record with that number and package, and a second one for a
   recipient in the period. Failures become residu `injeksi_gagal` with the provider's reason;
   a repeated `berhasil` is recorded as a provider anomaly and never counted twice.
6. `close_at_deadline`: once the period's deadline has passed, open requests of either kind
   become residu `tanpa_respons_provider` (before it: nothing). `refresh_residu` rewrites the
   schools' residu files.
7. `reconciliation`: `check_exchange` fails while a quarantined answer is not redone (naming
   the batch); `check_reconciliation` (Great Expectations) proves per provider requested =
   succeeded + failed + unanswered + waiting, and that the ledger agrees with the recipients
   (Data Docs in `<output_uri>/<periode>/data_docs/reconciliation/`, a failure names the page);
   `export_period` writes `<output_uri>/<periode>/status_penerima.csv.gz` + `rekap.csv` (§4)
   and the BAST per provider (`bast/<provider>.csv` + `.pdf`: packages and GB paid);
   `close_period`, after the deadline, closes the period for good. Records still waiting short
   of a request (never sent, SPTJM undecided, approved and not injected) keep it open and fail
   the task, naming them, unless `alasan_tutup` gives the reason to close all the same; the
   export is final only in the run that closes.
8. `alerts.notify_operators` mails the operators what the warehouse owes them, each alert
   once over all runs: every partner file quarantined (the file, the error, what to do), a
   provider silent on a batch past `KUOTA_ALERT_SILENT_HOURS`, a period within
   `KUOTA_ALERT_DEADLINE_HOURS` of its deadline with requests open. A failed run mails too
   (the DAG's failure callback). SMTP connection `kuota_smtp`, recipients `KUOTA_ALERT_TO`.
9. `run_summary` (with the period's deadline and state), then `any_task_failed`, the verdict.

**The Kuota view** (the run's *Kuota* tab, and *Kuota* in the navigation) shows this stage's
figures as `refresh_cockpit` last counted them: at the end of `validation` and of
`reconciliation`, whatever their outcome. The exchange, the SPTJMs and the quarantined files
(with what to do about each) are shown live.

**The period's deadline** is not a parameter here: it was stored when the period opened.
Move it (audited, with a reason): `kuota periode-batas --periode 2020-09 --batas-jawaban
2020-10-07T23:59:00+07:00 --alasan '...'`; reopen a closed period: `kuota
periode-buka-kembali --periode 2020-09 --alasan '...'`.

**Redo a failed provider batch**: a quarantined answer is asked again by the next stage run
(its batch is re-sent, byte-identical). At once: in this run's grid, clear
`validation.batch.send_batch` (or `injection.batch.send_batch`) for that batch's map index
with *Downstream*; or `kuota redo-batch --batch-id <id>`. A batch's answer is loaded at most
once, and a recipient is injected at most once per period, whatever is cleared or re-run.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task, task_group

from kuota import periode, summary
from kuota.bulanan import residu
from kuota.partners import exchange
from kuota.periode import Period
from kuota.tahap import ekspor, injeksi, koreksi, rekonsiliasi, sptjm, validasi
from kuota_airflow import (
    DAG_DEFAULTS,
    S3,
    add_verdict,
    dsn,
    final,
    label,
    label_province,
    opened_stage,
    period_params,
    refresh_cockpit,
    run_moment,
    run_name,
    stage_period,
    stage_periode,
    strict,
    timetable,
)
from kuota_airflow.alerts import RunFailedAlert, notify_operators
from kuota_airflow.sensors import DecisionCollector, ProviderAnswerSensor

# What the sensors read of the stage open_stage settled (templated at run time).
STAGE = "ti.xcom_pull(task_ids='open_stage')"


def provider_exchange(kind: exchange.ProviderExchange):
    """Plan per provider, then send, wait for and ingest every batch still open of the group's
    kind (validasi.EXCHANGE or injeksi.EXCHANGE)."""

    @task
    def providers(params=None) -> list[str]:
        return kind.providers(stage_period(params))

    @task(map_index_template="{{ provider }}")
    def plan_batches(provider: str, params=None) -> int:
        label(provider=provider)
        return len(final(kind.plan, stage_period(params), provider, params["ukuran_batch"]))

    @task(trigger_rule="none_failed")
    def list_batches(params=None) -> list[dict]:
        return kind.open_batches(stage_period(params))

    @task
    def recheck_answers(params=None) -> dict:
        """Answers already loaded that the provider overwrote since: quarantined, the first stands."""
        return final(kind.recheck, stage_period(params))

    @task_group(group_id="batch")
    def per_batch(batch: dict):
        @task(map_index_template="{{ batch_id }}")
        def send_batch(batch: dict, params=None) -> dict:
            label(batch_id=batch["batch_id"])
            return final(exchange.send_batch, stage_period(params), batch["batch_id"])

        wait = ProviderAnswerSensor(
            task_id="wait_for_answer",
            batch=batch,
            kind=kind.kind,
            exchange_uri="{{ params.exchange_uri }}",
            periode=f"{{{{ {STAGE}['periode'] }}}}",
            deadline=f"{{{{ {STAGE}['batas_jawaban'] }}}}",
            poll_seconds="{{ params.poll_detik }}",
            wait_minutes="{{ params.tunggu_menit }}",
            aws_conn_id=S3,
            map_index_template="{{ task.batch['batch_id'] }}",
        )

        @task(map_index_template="{{ batch_id }}")
        def ingest_answer(batch: dict, params=None) -> dict:
            label(batch_id=batch["batch_id"])
            return final(exchange.ingest_answer, stage_period(params), batch["batch_id"])

        send_batch(batch) >> wait >> ingest_answer(batch)

    batches = list_batches()
    recheck_answers()
    plan_batches.expand(provider=providers()) >> batches
    return per_batch.expand(batch=batches)


@dag(
    dag_id="kuota_tahap",
    doc_md=__doc__,
    # The 2020 stage days, 06:00 WIB, and the 1st: the previous period's closing run (its
    # deadline, the month's last day, has passed). The period's own calendar says which stage.
    schedule=timetable("KUOTA_JADWAL_TAHAP", "0 6 1,15,28 * *"),
    tags=["kuota", "tahap"],
    params=period_params(
        tahap=Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="The stage of the period: 1, 2, ... Empty: the stage of the period's calendar "
            "(hari_tahap) whose day last came by the run's logical date.",
        ),
        ukuran_batch=Param(
            exchange.DEFAULT_BATCH_ROWS, type="integer", minimum=1, description="Rows per batch sent to a provider."
        ),
        tunggu_menit=Param(
            120,
            type="number",
            minimum=0,
            description="How long this stage waits (on the triggerer) for providers' answers and "
            "SPTJM decisions; what is still outstanding waits for the next stage.",
        ),
        poll_detik=Param(
            60, type="integer", minimum=1, description="How often the triggerer looks for partners' files, in seconds."
        ),
        alasan_tutup=Param(
            None,
            type=["null", "string"],
            description="Only after the period's deadline, when records still wait short of a "
            "request (never sent, SPTJM undecided, approved and not injected): close "
            "the period all the same, for this reason (kept in its history). Empty: "
            "such a period stays open and the run fails, naming them.",
        ),
    ),
    on_failure_callback=RunFailedAlert(),
    **DAG_DEFAULTS,
)
def kuota_tahap():
    @task
    def open_stage(params=None) -> dict:
        return strict(periode.open_stage, dsn(), params["periode"], params["tahap"], run_moment())

    @task_group(group_id="corrections")
    def corrections():
        @task
        def ingest_corrections(params=None) -> dict:
            return final(koreksi.ingest_corrections, stage_period(params))

        ingest_corrections()

    @task_group(group_id="validation")
    def validation():
        provider_exchange(validasi.EXCHANGE) >> refresh_cockpit("validation")

    @task_group(group_id="sptjm")
    def sptjm_stage():
        @task(trigger_rule="all_done")
        def issue_sptjm(params=None) -> dict:
            return final(sptjm.issue, stage_period(params))

        @task
        def sptjm_provinces(params=None) -> list[str]:
            return final(sptjm.provinces, stage_period(params))

        @task(map_index_template="{{ province_label }}")
        def write_sptjm(provinsi: str, params=None) -> dict:
            label_province(provinsi)
            return final(sptjm.write_province, stage_period(params), provinsi)

        collect = DecisionCollector(
            task_id="collect_decisions",
            periode=f"{{{{ {STAGE}['periode'] }}}}",
            exchange_uri="{{ params.exchange_uri }}",
            tahap=f"{{{{ {STAGE}['tahap'] }}}}",
            deadline=f"{{{{ {STAGE}['batas_jawaban'] }}}}",
            wait_minutes="{{ params.tunggu_menit }}",
            poll_seconds="{{ params.poll_detik }}",
            aws_conn_id=S3,
        )

        provinces = sptjm_provinces()
        issue_sptjm() >> provinces >> write_sptjm.expand(provinsi=provinces) >> collect

    @task_group(group_id="injection")
    def injection():
        provider_exchange(injeksi.EXCHANGE)

    @task_group(group_id="reconciliation")
    def reconciliation():
        @task(trigger_rule="all_done")
        def close_at_deadline(params=None) -> dict:
            return final(exchange.close_unanswered, stage_period(params))

        @task(trigger_rule="all_done")
        def refresh_residu(params=None) -> dict:
            return final(residu.write_residu, stage_period(params))

        @task(trigger_rule="all_done")
        def check_exchange(params=None) -> dict:
            return final(rekonsiliasi.check_exchange, stage_period(params))

        @task(trigger_rule="all_done")
        def check_reconciliation(params=None) -> dict:
            return final(rekonsiliasi.check_reconciliation, stage_period(params))

        @task
        def export_period(params=None) -> dict:
            """Final only when this run may close the period (see close_period)."""
            return final(ekspor.export_period, stage_period(params), params["alasan_tutup"])

        @task
        def close_period(params=None) -> dict:
            """After the deadline: the period's one closing step. Records still waiting short
            of a request keep it open (the run fails, naming them) unless alasan_tutup is given."""
            return final(periode.close, dsn(), opened_stage()["periode"], run_name(), params["alasan_tutup"])

        (
            close_at_deadline()
            >> refresh_residu()
            >> check_exchange()
            >> check_reconciliation()
            >> export_period()
            >> close_period()
            >> refresh_cockpit("reconciliation")
        )

    @task_group(group_id="alerts")
    def alerts_stage():
        @task(trigger_rule="all_done")
        def notify_operators_() -> dict:
            """Whatever this run (or any before it) quarantined, left silent or brought near
            its deadline: one mail per alert, ever."""
            return notify_operators()

        notify_operators_.override(task_id="notify_operators")()

    @task(trigger_rule="all_done")
    def run_summary(params=None) -> str:
        p = stage_periode(params)
        text = summary.summary(Period(dsn(), p)) if p else "no period: open_stage could not settle one (see its log)"
        print(text)
        return text

    (
        open_stage()
        >> corrections()
        >> validation()
        >> sptjm_stage()
        >> injection()
        >> reconciliation()
        >> alerts_stage()
        >> run_summary()
    )
    add_verdict()


kuota_tahap()
