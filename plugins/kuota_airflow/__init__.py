"""What the kuota DAG files share: the connections, the failure rule, UI labels, the verdict.

Airflow-side only; the work itself is in the ``kuota`` package (include/), which never imports
Airflow.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import CronTriggerTimetable, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from kuota.cockpit import NAMA_PROVINSI
from kuota.cockpit import refresh as count_cockpit  # not `cockpit`: kuota_airflow.cockpit is the web app
from kuota.infra.errors import ContractError, MigrationError, PeriodeDitutup, QualityError
from kuota.infra.storage import Storage, client_config
from kuota.periode import PERIODE_PATTERN, Period, of_moment, parse_deadline

log = logging.getLogger(__name__)

WAREHOUSE = "kuota_warehouse"
S3 = "kuota_s3"
TIMEZONE = "Asia/Jakarta"
# The output_uri parameter's default: where the period export, the BAST and the Data Docs go.
OUTPUT_URI = "s3://kuota/output"

# What every kuota DAG shares: one run at a time, no catch-up of missed dates (a backfill
# says which), retries for what may heal (contract and quality failures fail at once: see
# ``final``).
DAG_DEFAULTS = {
    "start_date": pendulum.datetime(2020, 9, 1, tz=TIMEZONE),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": {"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
}


def timetable(variable: str, default: str) -> CronTriggerTimetable:
    """A cron in Jakarta time, overridable per environment (KUOTA_JADWAL_*): the run's logical
    date is the moment it is due, which names its period."""
    return CronTriggerTimetable(os.environ.get(variable) or default, timezone=TIMEZONE)


def period_params(**more: Param) -> dict[str, Param]:
    """The period and the roots every run needs, then the DAG's own parameters."""
    return {
        "periode": Param(
            None,
            type=["null", "string"],
            pattern=PERIODE_PATTERN,
            description="The period (month), YYYY-MM. Empty: the month of the run's logical date "
            "(a scheduled or backfilled run).",
        ),
        **more,
        "exchange_uri": Param(
            "s3://kuota/exchange",
            type="string",
            description="Root of the provider and portal exchange (exchange.md §2-3).",
        ),
        "output_uri": Param(
            OUTPUT_URI,
            type="string",
            description="Where the period export, the BAST (exchange.md §4) and the suites' Data Docs go.",
        ),
    }


def dsn() -> str:
    return PostgresHook(postgres_conn_id=WAREHOUSE).get_uri()


def storage() -> Storage:
    return Storage(S3Hook(aws_conn_id=S3, config=client_config()).get_conn())


def final(fn, *args, **kwargs):
    """A broken file or a failed suite will not heal by retrying: fail at once, say why. A
    step of a closed period does nothing: skipped, with the reason in its log."""
    try:
        return fn(*args, **kwargs)
    except PeriodeDitutup as err:
        log.warning("%s", err)
        raise AirflowSkipException(str(err)) from err
    except (ContractError, QualityError, MigrationError) as err:
        raise AirflowFailException(str(err)) from err


def strict(fn, *args, **kwargs):
    """``final`` for a run's first step: a closed period fails the run there, with the reason,
    instead of skipping it (a run that can do nothing must not look green)."""
    try:
        return fn(*args, **kwargs)
    except (ContractError, QualityError, MigrationError) as err:
        raise AirflowFailException(str(err)) from err


def run_moment() -> dt.datetime:
    """When the run is for: its logical date (scheduled, backfilled), else when it was triggered."""
    context = get_current_context()
    return context.get("logical_date") or context["dag_run"].run_after


def run_periode(params: dict) -> str:
    """The run's period: as given, else the month of its logical date, in Jakarta time."""
    return params.get("periode") or of_moment(run_moment())


def run_name() -> str:
    """Who changed a period's lifecycle, for its history: the DAG and the run."""
    context = get_current_context()
    return f"{context['dag'].dag_id} {context['run_id']}"


def stage_periode(params: dict) -> str | None:
    """The period of a kuota_tahap run for its summary, even when open_stage refused it."""
    stage = get_current_context()["ti"].xcom_pull(task_ids="open_stage")
    return stage["periode"] if stage else params.get("periode")


def period_of(periode: str, params: dict, tahap: int = 1, batas_jawaban: str | None = None) -> Period:
    """The Period a task hands to the work: the warehouse and S3 through their Airflow
    connections, the roots from the run's parameters; the deadline only when given (a stage's,
    as stored when the period opened)."""
    deadline = parse_deadline(batas_jawaban, periode) if batas_jawaban else None
    return Period(
        dsn(),
        periode,
        storage(),
        params.get("exchange_uri"),
        params.get("output_uri"),
        tahap=int(tahap),
        deadline=deadline,
    )


def run_period(params: dict) -> Period:
    """A kuota_bulanan run's period (no stage, no deadline: screening waits for neither)."""
    return period_of(run_periode(params), params)


def stage_period(params: dict) -> Period:
    """A kuota_tahap run's period at its stage, with its deadline, as ``open_stage`` settled them."""
    stage = opened_stage()
    return period_of(stage["periode"], params, stage["tahap"], stage["batas_jawaban"])


def opened_stage() -> dict:
    """The period and stage this kuota_tahap run works on, as ``open_stage`` settled them."""
    stage = get_current_context()["ti"].xcom_pull(task_ids="open_stage")
    if not stage:
        raise AirflowSkipException("open_stage did not settle the period and stage (see its log): nothing to do")
    return stage


def refresh_cockpit(langkah: str, monthly: bool = False):
    """The cockpit's figures of the run's period recounted after the step ``langkah``
    (kuota.cockpit.refresh), whatever that step's outcome: a failure shows there too. The
    monthly run's screening is stage 0."""

    @task(task_id="refresh_cockpit", trigger_rule="all_done")
    def refresh(params=None) -> dict:
        if monthly:
            return final(count_cockpit, run_period(params), langkah, 0)
        return final(count_cockpit, stage_period(params), langkah)

    return refresh()


def label(**names) -> None:
    """Values the task's map_index_template shows in the UI (the provider, the batch)."""
    get_current_context().update(names)


def label_province(provinsi: str) -> None:
    """A per-province task's map index in the UI: the BPS code and the province's name."""
    name = NAMA_PROVINSI.get(provinsi, "") if provinsi else "schools not in the cutoff"
    label(province_label=f"{provinsi} {name}".strip())


def add_verdict() -> None:
    """The run's verdict: tasks after a failure still run (the close, the summary), so the run
    is marked failed here, once, whenever any task failed."""

    @task(task_id="any_task_failed", trigger_rule="one_failed", retries=0)
    def any_task_failed() -> None:
        raise AirflowFailException("a task of this run failed: see that task's log and the run summary")

    verdict = any_task_failed().operator
    [t for t in verdict.dag.tasks if t is not verdict] >> verdict
