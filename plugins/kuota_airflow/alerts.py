"""The operators' alerts by e-mail, Airflow side: the SMTP connection ``kuota_smtp`` and the
recipients ``KUOTA_ALERT_TO`` (comma-separated), both per environment, so a test stack, a
staging and the national deployment each mail their own operators. Without either, alerts
are off: said once in the log, and nothing fails for it (an environment may choose not to mail).

What is owed and the once-only rule are in ``kuota.alerts`` (the warehouse's
``kuota.peringatan``); here: the mail, the DAGs' failure callback (``RunFailedAlert``) and the
check task (``notify_operators``). Thresholds: ``KUOTA_ALERT_SILENT_HOURS`` (a provider
silent on a batch, default 24) and ``KUOTA_ALERT_DEADLINE_HOURS`` (a period's deadline near
with requests open, default 48).
"""

from __future__ import annotations

import html
import logging
import os
import re
import urllib.parse

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook, BaseNotifier

from kuota import alerts
from kuota_airflow import dsn

log = logging.getLogger(__name__)

SMTP = "kuota_smtp"
VERDICT = "any_task_failed"
_told_off: set[str] = set()


class MailFailed(Exception):
    """The SMTP server refused or could not be reached: the alert's claim is rolled back."""


def recipients() -> list[str]:
    return [a for a in re.split(r"[,;\s]+", os.environ.get("KUOTA_ALERT_TO", "")) if a]


def _off(why: str) -> None:
    if why not in _told_off:
        _told_off.add(why)
        log.warning("alerts are off: %s", why)


def mailer() -> alerts.Send | None:
    """What sends an alert in this environment, or None (alerts off, logged once)."""
    to = recipients()
    if not to:
        _off("KUOTA_ALERT_TO is empty (the operators' addresses, comma-separated)")
        return None
    try:
        BaseHook.get_connection(SMTP)
    except Exception:  # AirflowNotFoundException, or no connection backend at all
        _off(f"no Airflow connection {SMTP!r} (the SMTP server that mails the operators)")
        return None

    def send(subject: str, body: str) -> None:
        try:
            with SmtpHook(smtp_conn_id=SMTP) as hook:
                hook.send_email_smtp(
                    to=to,
                    subject=subject,
                    html_content=f"<pre>{html.escape(body, quote=False)}</pre>",
                    mime_charset="utf-8",
                )
        except Exception as err:
            raise MailFailed(f"alert {subject!r} not sent through connection {SMTP!r}: {err}") from err

    return send


def _hours(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def notify_operators() -> dict:
    """Every alert the warehouse owes (quarantined files, silent providers, deadlines near),
    each sent once over all runs: a mail that fails fails the task, and the next check sends it."""
    send = mailer()
    if send is None:
        return {"alerts": "off"}
    sent = alerts.notify(
        dsn(),
        send,
        silent_hours=_hours("KUOTA_ALERT_SILENT_HOURS", alerts.SILENT_HOURS),
        deadline_hours=_hours("KUOTA_ALERT_DEADLINE_HOURS", alerts.DEADLINE_HOURS),
    )
    log.info("alerts sent: %s", sent)
    return sent


def run_url(dag_id: str, run_id: str) -> str:
    from airflow.sdk.configuration import conf

    base = (conf.get("api", "base_url", fallback=None) or "http://localhost:8080").rstrip("/")
    return f"{base}/dags/{urllib.parse.quote(dag_id)}/runs/{urllib.parse.quote(run_id, safe='')}"


def _failed_tasks(context) -> list[str]:
    """The run's failed task instances (the verdict left out, and their map index): asked of
    Airflow where the callback runs beside it (the dag-processor, through its supervisor);
    where there is none to ask (``airflow dags test`` runs the callback in its own process,
    on the metadata database), read there; else the one that failed last."""
    dag_id, run_id = context["dag"].dag_id, context["run_id"]
    try:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        states = RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id]).get(run_id, {})
        return sorted(t for t, s in states.items() if s == "failed" and t != VERDICT)
    except Exception as err:
        log.debug("task states not available from a supervisor here: %s", err)
    try:
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        with create_session() as session:
            rows = session.query(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.rendered_map_index)
            rows = rows.filter_by(dag_id=dag_id, run_id=run_id, state="failed")
            return sorted(t if i < 0 else f"{t} [{label or i}]" for t, i, label in rows if t != VERDICT)
    except Exception as err:
        log.debug("task states not available from the metadata database here: %s", err)
    ti = context.get("ti")
    return [ti.task_id] if ti is not None and ti.task_id != VERDICT else []


class RunFailedAlert(BaseNotifier):
    """The DAGs' on_failure_callback: one mail per failed run (a cleared run that fails again
    is a new failure), naming the run, its failed tasks, its page in the UI and what to do.
    The once-only record is in the warehouse; if the warehouse itself is down, the mail goes
    all the same (twice is better than never, when that may be why the run failed)."""

    template_fields = ()

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing is templated here; and under ``airflow dags test`` the callback's ``dag`` is
        the serialized one, which has no Jinja environment to build."""

    def notify(self, context) -> None:
        send = mailer()
        if send is None:
            return
        dag_id, run_id = context["dag"].dag_id, context["run_id"]
        dag_run = context.get("dag_run")
        alert = alerts.run_failed(
            dag_id,
            run_id,
            getattr(dag_run, "start_date", None),
            _failed_tasks(context),
            run_url(dag_id, run_id),
            str(context.get("reason") or "task_failure"),
        )
        try:
            alerts.deliver(dsn(), alert, send)
        except MailFailed:
            raise
        except Exception as err:
            log.warning("the warehouse could not record the alert (%s): sending it without the once-only check", err)
            send(alert.subject, alert.body)
