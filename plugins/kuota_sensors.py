"""Waiting for a provider's answer (exchange.md §2) on the triggerer, until the period's deadline.

The amazon provider's S3KeySensor, always deferred, plus what the contract needs: the wait
ends at the deadline (the trigger itself stops then, so the run does not depend on the
triggerer's timeout handling), and a batch whose answer is already loaded is not waited for
again (a re-run or a backfill of the period passes straight through).
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from kuota.exchange import answer_manifest_uri, parse_deadline


class AnswerDeadlineTrigger(BaseTrigger):
    """Polls one S3 key until it exists (``success``) or ``deadline`` (ISO 8601) passes
    (``deadline``). boto3 calls run in a thread: the amazon provider's own async trigger needs
    aiobotocore, which no release pairs with the botocore this project pins."""

    def __init__(self, *, bucket_key: str, deadline: str, aws_conn_id: str | None = None,
                 poke_interval: float = 60.0, max_errors: int = 5):
        super().__init__()
        self.bucket_key, self.deadline, self.aws_conn_id = bucket_key, deadline, aws_conn_id
        self.poke_interval, self.max_errors = float(poke_interval), max_errors

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{__name__}.{type(self).__name__}", {
            "bucket_key": self.bucket_key, "deadline": self.deadline, "aws_conn_id": self.aws_conn_id,
            "poke_interval": self.poke_interval, "max_errors": self.max_errors}

    def _exists(self) -> bool:
        hook = S3Hook(aws_conn_id=self.aws_conn_id)
        bucket, key = S3Hook.parse_s3_url(self.bucket_key)
        return hook.check_for_key(key, bucket)

    async def run(self):
        deadline = dt.datetime.fromisoformat(self.deadline)
        errors = 0
        while True:
            try:
                if await asyncio.to_thread(self._exists):
                    yield TriggerEvent({"status": "success"})
                    return
                errors = 0
            except Exception as err:  # S3 unreachable for a moment: try again, up to max_errors in a row
                errors += 1
                self.log.warning("looking for %s failed (%d in a row): %s", self.bucket_key, errors, err)
                if errors >= self.max_errors:
                    yield TriggerEvent({"status": "error", "message": str(err)})
                    return
            remaining = (deadline - dt.datetime.now(dt.timezone.utc)).total_seconds()
            if remaining <= 0:
                yield TriggerEvent({"status": "deadline"})
                return
            await asyncio.sleep(min(self.poke_interval, remaining))


class ProviderAnswerSensor(S3KeySensor):
    """Waits, deferred, for ``<batch_id>.hasil.manifest.json`` of one batch.

    ``batch`` is a dict with ``batch_id`` and ``provider`` (the mapped value); at the deadline
    the task is skipped, and the period's close turns the batch's requests into residu
    tanpa_respons_provider.
    """

    template_fields = (*S3KeySensor.template_fields, "batch", "exchange_uri", "periode", "deadline", "poll_seconds")

    def __init__(self, *, batch: Any, exchange_uri: str, periode: str, deadline: str = "", poll_seconds: Any = 60,
                 kind: str = "validasi", already_loaded: Callable[[str], bool] | None = None, **kwargs: Any):
        super().__init__(bucket_key="", deferrable=True, **kwargs)
        self.batch, self.exchange_uri, self.periode, self.deadline = batch, exchange_uri, periode, deadline
        self.poll_seconds, self.kind, self.already_loaded = poll_seconds, kind, already_loaded

    def _deadline(self) -> dt.datetime:
        return parse_deadline(self.deadline or None, self.periode)

    def execute(self, context) -> None:
        batch_id = self.batch["batch_id"]
        if self.already_loaded is not None and self.already_loaded(batch_id):
            self.log.info("the answer to %s is already loaded: nothing to wait for", batch_id)
            return
        self.bucket_key = answer_manifest_uri(self.exchange_uri, self.batch["provider"], self.periode, self.kind,
                                              batch_id)
        self.poke_interval = float(self.poll_seconds)
        if self.poke(context):  # an answer already there counts, even if looked at after the deadline
            return
        deadline = self._deadline()
        if dt.datetime.now(dt.timezone.utc) >= deadline:
            raise AirflowSkipException(f"batch {batch_id}: the deadline {deadline.isoformat()} has passed "
                                       f"without an answer")
        self.log.info("waiting on the triggerer for %s until %s", self.bucket_key, deadline.isoformat())
        self.defer(trigger=AnswerDeadlineTrigger(bucket_key=self.bucket_key, deadline=deadline.isoformat(),
                                                 aws_conn_id=self.aws_conn_id, poke_interval=self.poke_interval),
                   method_name="execute_complete")

    def execute_complete(self, context, event: dict[str, Any]) -> None:
        batch_id = self.batch["batch_id"]
        if event["status"] == "success":
            self.log.info("answer to %s is in", batch_id)
            return
        if event["status"] == "deadline":
            raise AirflowSkipException(f"batch {batch_id}: no answer by the deadline {self._deadline().isoformat()}; "
                                       f"its requests become residu tanpa_respons_provider")
        raise AirflowFailException(f"batch {batch_id}: waiting for the answer failed: {event.get('message')}")
