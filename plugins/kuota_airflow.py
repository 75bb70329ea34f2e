"""What the kuota DAG files share: the connections, the failure rule, UI labels, the verdict.

Airflow-side only; the work itself is in the ``kuota`` package (include/), which never imports
Airflow.
"""
from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from kuota.manifest import ContractError
from kuota.quality import QualityError
from kuota.storage import Storage

WAREHOUSE = "kuota_warehouse"
S3 = "kuota_s3"

# What every kuota DAG shares: triggered (never scheduled), one run at a time, retries for
# what may heal (contract and quality failures fail at once: see ``final``).
DAG_DEFAULTS = {
    "schedule": None,
    "start_date": pendulum.datetime(2020, 9, 1, tz="Asia/Jakarta"),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": {"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
}


def period_params(**more: Param) -> dict[str, Param]:
    """The period and the roots every run needs, then the DAG's own parameters."""
    return {
        "periode": Param("2020-09", type="string", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                         description="The period (month), YYYY-MM."),
        **more,
        "exchange_uri": Param("s3://kuota/exchange", type="string",
                              description="Root of the provider and portal exchange (exchange.md §2-3)."),
        "output_uri": Param("s3://kuota/output", type="string",
                            description="Where the period export and the BAST go (exchange.md §4)."),
    }


def dsn() -> str:
    return PostgresHook(postgres_conn_id=WAREHOUSE).get_uri()


def storage() -> Storage:
    return Storage(S3Hook(aws_conn_id=S3).get_conn())


def final(fn, *args, **kwargs):
    """A broken file or a failed suite will not heal by retrying: fail at once, say why."""
    try:
        return fn(*args, **kwargs)
    except (ContractError, QualityError) as err:
        raise AirflowFailException(str(err)) from err


def label(**names) -> None:
    """Values the task's map_index_template shows in the UI (the provider, the batch)."""
    get_current_context().update(names)


def add_verdict() -> None:
    """The run's verdict: tasks after a failure still run (the close, the summary), so the run
    is marked failed here, once, whenever any task failed."""

    @task(task_id="any_task_failed", trigger_rule="one_failed", retries=0)
    def any_task_failed() -> None:
        raise AirflowFailException("a task of this run failed: see that task's log and the run summary")

    verdict = any_task_failed().operator
    [t for t in verdict.dag.tasks if t is not verdict] >> verdict
