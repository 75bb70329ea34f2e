"""Waiting on the triggerer for partners: a provider's answer to a batch (exchange.md §2), the
schools' SPTJM decisions (§3).

ProviderAnswerSensor is the amazon provider's S3KeySensor, always deferred, plus what the
contract needs: the wait ends at the period's deadline or when this stage's wait is over,
whichever comes first (the trigger itself stops then, so the run does not depend on the
triggerer's timeout handling), and a batch whose answer is already loaded is not waited for
again (a re-run or a backfill of the period passes straight through). A batch still
unanswered when a stage's wait ends stays pending: the next stage run waits for it again.

DecisionCollector takes the decisions already in the portal, and while SPTJMs are undecided,
waits on the triggerer for new files, then takes those, until all are decided or the stage's
wait is over.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from kuota.partners import exchange
from kuota.partners.layout import answer_manifest_uri, decisions_folder
from kuota.periode import parse_deadline
from kuota.tahap import sptjm
from kuota_airflow import dsn, final, period_of


class _PollingTrigger(BaseTrigger):
    """Polls S3 every ``poke_interval`` seconds until ``_found()`` (each subclass defines it;
    event ``found_status``) or ``end`` (ISO 8601) passes (event ``end_status``); a passing S3
    error is tried again, up to ``max_errors`` in a row. boto3 calls run in a thread: the amazon provider's own async
    trigger needs aiobotocore, which no release pairs with the botocore this project pins.
    Every event carries ``end``: a task resumed from the triggerer gets no other state."""

    found_status, end_status = "found", "end"

    def __init__(self, *, end: str, aws_conn_id: str | None = None, poke_interval: float = 60.0, max_errors: int = 5):
        super().__init__()
        self.end, self.aws_conn_id = end, aws_conn_id
        self.poke_interval, self.max_errors = float(poke_interval), max_errors

    def _kwargs(self) -> dict[str, Any]:
        return {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{__name__}.{type(self).__name__}", {
            **self._kwargs(),
            "end": self.end,
            "aws_conn_id": self.aws_conn_id,
            "poke_interval": self.poke_interval,
            "max_errors": self.max_errors,
        }

    async def run(self):
        end = dt.datetime.fromisoformat(self.end)
        errors = 0
        while True:
            try:
                if await asyncio.to_thread(self._found):
                    yield TriggerEvent({"status": self.found_status, "end": self.end})
                    return
                errors = 0
            except Exception as err:  # S3 unreachable for a moment: try again, up to max_errors in a row
                errors += 1
                self.log.warning("polling %s failed (%d in a row): %s", self._kwargs(), errors, err)
                if errors >= self.max_errors:
                    yield TriggerEvent({"status": "error", "message": str(err), "end": self.end})
                    return
            remaining = (end - dt.datetime.now(dt.UTC)).total_seconds()
            if remaining <= 0:
                yield TriggerEvent({"status": self.end_status, "end": self.end})
                return
            await asyncio.sleep(min(self.poke_interval, remaining))


class AnswerDeadlineTrigger(_PollingTrigger):
    """Until one S3 key exists (``success``) or the end of the wait (``deadline``)."""

    found_status, end_status = "success", "deadline"

    def __init__(self, *, bucket_key: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.bucket_key = bucket_key

    def _kwargs(self) -> dict[str, Any]:
        return {"bucket_key": self.bucket_key}

    def _found(self) -> bool:
        bucket, key = S3Hook.parse_s3_url(self.bucket_key)
        return S3Hook(aws_conn_id=self.aws_conn_id).check_for_key(key, bucket)


class NewFilesTrigger(_PollingTrigger):
    """Until an object under ``prefix`` is newer than ``since`` (epoch seconds; ``new``) or the
    end of the wait (``until``)."""

    found_status, end_status = "new", "until"

    def __init__(self, *, prefix: str, since: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.prefix, self.since = prefix, float(since)

    def _kwargs(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "since": self.since}

    def _found(self) -> bool:
        bucket, prefix = S3Hook.parse_s3_url(self.prefix.rstrip("/") + "/")
        pages = (
            S3Hook(aws_conn_id=self.aws_conn_id)
            .get_conn()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix=prefix)
        )
        return any(obj["LastModified"].timestamp() > self.since for page in pages for obj in page.get("Contents", []))


class ProviderAnswerSensor(S3KeySensor):
    """Waits, deferred, for ``<batch_id>.hasil.manifest.json`` of one batch.

    ``batch`` is a dict with ``batch_id`` and ``provider`` (the mapped value); at the deadline
    the task is skipped, and the period's close turns the batch's requests into residu
    tanpa_respons_provider.
    """

    template_fields = (
        *S3KeySensor.template_fields,
        "batch",
        "exchange_uri",
        "periode",
        "deadline",
        "poll_seconds",
        "wait_minutes",
    )

    def __init__(
        self,
        *,
        batch: Any,
        exchange_uri: str,
        periode: str,
        deadline: str = "",
        poll_seconds: Any = 60,
        kind: str = "validasi",
        wait_minutes: Any = None,
        **kwargs: Any,
    ):
        super().__init__(bucket_key="", deferrable=True, **kwargs)
        self.batch, self.exchange_uri, self.periode, self.deadline = batch, exchange_uri, periode, deadline
        self.poll_seconds, self.kind = poll_seconds, kind
        self.wait_minutes = wait_minutes

    def _deadline(self) -> dt.datetime:
        return parse_deadline(self.deadline or None, self.periode)

    def _until(self) -> dt.datetime:
        """The period's deadline, or the end of this stage's wait if sooner."""
        deadline = self._deadline()
        if self.wait_minutes in (None, ""):
            return deadline
        return min(deadline, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=float(self.wait_minutes)))

    def execute(self, context) -> None:
        batch_id = self.batch["batch_id"]
        if exchange.answer_loaded(dsn(), batch_id):
            self.log.info("the answer to %s is already loaded: nothing to wait for", batch_id)
            return
        self.bucket_key = answer_manifest_uri(
            self.exchange_uri, self.batch["provider"], self.periode, self.kind, batch_id
        )
        self.poke_interval = float(self.poll_seconds)
        if self.poke(context):  # an answer already there counts, even if looked at after the deadline
            return
        deadline = self._deadline()
        if dt.datetime.now(dt.UTC) >= deadline:
            self._skip(
                f"batch {batch_id}: the period's deadline {deadline.isoformat()} has passed without an "
                f"answer; the close turns its requests into residu tanpa_respons_provider"
            )
        until = self._until()
        self.log.info(
            "waiting on the triggerer for %s until %s (the period's deadline: %s)",
            self.bucket_key,
            until.isoformat(),
            deadline.isoformat(),
        )
        self.defer(
            trigger=AnswerDeadlineTrigger(
                bucket_key=self.bucket_key,
                end=until.isoformat(),
                aws_conn_id=self.aws_conn_id,
                poke_interval=self.poke_interval,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context, event: dict[str, Any]) -> None:
        batch_id = self.batch["batch_id"]
        if event["status"] == "success":
            self.log.info("answer to %s is in", batch_id)
            return
        if event["status"] == "deadline" and dt.datetime.now(dt.UTC) >= self._deadline():
            self._skip(
                f"batch {batch_id}: no answer by the period's deadline {self._deadline().isoformat()}; its "
                f"requests become residu tanpa_respons_provider"
            )
        if event["status"] == "deadline":
            self._skip(
                f"batch {batch_id}: no answer within this stage's wait ({self.wait_minutes} min); it stays "
                f"pending and the next stage run waits for it again"
            )
        raise AirflowFailException(f"batch {batch_id}: waiting for the answer failed: {event.get('message')}")

    def _skip(self, reason: str) -> None:
        """Airflow logs a skip as "Skipping task." only: the reason goes into the log first."""
        self.log.warning("%s", reason)
        raise AirflowSkipException(reason)


class DecisionCollector(BaseOperator):
    """Takes the schools' SPTJM decisions (``portal/<periode>/persetujuan/``) while SPTJMs of the
    period are undecided: ``sptjm.collect_decisions`` loads what is there (on the
    worker) and returns how many SPTJMs still wait (``undecided``); then the task waits on the
    triggerer for new files, and again, until none waits or ``wait_minutes`` are over.
    Undecided SPTJMs then simply wait for the next stage run; nothing fails."""

    template_fields = ("periode", "exchange_uri", "tahap", "deadline", "wait_minutes", "poll_seconds")

    def __init__(
        self,
        *,
        periode: str,
        exchange_uri: str,
        tahap: Any,
        deadline: str = "",
        wait_minutes: Any = 60,
        poll_seconds: Any = 60,
        aws_conn_id: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.periode, self.exchange_uri, self.tahap = periode, exchange_uri, tahap
        self.deadline, self.wait_minutes, self.poll_seconds, self.aws_conn_id = (
            deadline,
            wait_minutes,
            poll_seconds,
            aws_conn_id,
        )

    @property
    def prefix(self) -> str:
        return decisions_folder(self.exchange_uri, self.periode)

    def _round(self, until: str) -> dict:
        started = dt.datetime.now(dt.UTC).timestamp()
        period = period_of(self.periode, {"exchange_uri": self.exchange_uri}, self.tahap, self.deadline or None)
        result = final(sptjm.collect_decisions, period)
        waiting = result["undecided"]
        if waiting and dt.datetime.now(dt.UTC) < dt.datetime.fromisoformat(until):
            self.log.info(
                "%d SPTJM await their decision: waiting on the triggerer for new files in %s until %s",
                waiting,
                self.prefix,
                until,
            )
            self.defer(
                trigger=NewFilesTrigger(
                    prefix=self.prefix,
                    since=started - 2,
                    end=until,
                    aws_conn_id=self.aws_conn_id,
                    poke_interval=float(self.poll_seconds),
                ),
                method_name="execute_complete",
            )
        self.log.info("decisions taken: %s; %d SPTJM still undecided (they wait for the next stage)", result, waiting)
        return result

    def execute(self, context) -> dict:
        """Waits until the stage's wait is over or the period's deadline, whichever is first."""
        until = min(
            dt.datetime.now(dt.UTC) + dt.timedelta(minutes=float(self.wait_minutes)),
            parse_deadline(self.deadline or None, self.periode),
        )
        return self._round(until.isoformat())

    def execute_complete(self, context, event: dict[str, Any]) -> dict:
        """Back from the triggerer (the event carries the end of the wait: resumed tasks get
        no other state)."""
        if event["status"] == "error":
            raise AirflowFailException(f"waiting for decisions in {self.prefix} failed: {event.get('message')}")
        return self._round(event["end"])
