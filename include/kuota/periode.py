"""The period's lifecycle: opened once with its deadline and stage calendar, run in stages,
closed once after its deadline, reopened only by an operator with a reason.

The deadline lives with the period, not with a run's parameters: a run for a past period, a
re-run or a backfill cannot move it by accident (nor, by taking a default deadline long
passed, close a period it was meant to advance).
A closed period refuses every later step, here and in the database (migration 0006_periode.sql).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import logging
import re

from .infra import db
from .infra.errors import ContractError, PeriodeDitutup
from .infra.storage import Storage

log = logging.getLogger(__name__)

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# 2020: data went to the providers around the 15th and the 28th (domain.md flow 10).
DEFAULT_STAGE_DAYS = (15, 28)
# A period is a month, YYYY-MM: the one pattern, also the DAGs' `periode` parameter's.
PERIODE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIODE = re.compile(PERIODE_PATTERN)
# Records short of a request; belum_disaring: the cutoff's records while it is not screened.
WAITING = ("siap_validasi", "valid", "sptjm_dicetak", "sptjm_disetujui", "belum_disaring")


def check_periode(periode: str) -> str:
    """A period is a month, YYYY-MM: checked before anything is read or loaded for it."""
    if not isinstance(periode, str) or not _PERIODE.match(periode):
        raise ContractError(
            f"periode {periode!r} is not YYYY-MM (a month, 01-12): run again with the period as YYYY-MM"
        )
    return periode


@dataclasses.dataclass(frozen=True)
class Period:
    """One period as its steps see it: the warehouse, the files and where they go, the stage
    and the deadline for answers. Built once per task (``kuota_airflow.stage_period``,
    ``run_period``) or command (``kuota.cli``: ``Period.opened``) and handed whole to every
    step, so a step cannot be given one period's files and another's rows.

    ``deadline``: the period's deadline for answers, as stored when it opened
    (``Period.opened`` reads it). None means none applies (tests, the bench): nothing is held
    back for it, and a step that exists only for it (the deadline's close, a whole exchange
    run) refuses to guess one."""

    dsn: str = dataclasses.field(repr=False)  # holds credentials: never in a log line
    periode: str
    storage: Storage | None = dataclasses.field(default=None, repr=False, compare=False)
    exchange_uri: str | None = None
    output_uri: str | None = None
    tahap: int = 1
    deadline: dt.datetime | None = None

    def __post_init__(self):
        check_periode(self.periode)

    @classmethod
    def opened(cls, dsn: str, periode: str, **where) -> Period:
        """The period as opened in the warehouse, with its stored deadline and its latest stage."""
        s = state(dsn, check_periode(periode))
        if s is None:
            raise ContractError(f"periode {periode} is not opened: run kuota_bulanan for it first")
        where.setdefault("tahap", max(s["tahap"], 1))
        return cls(dsn, periode, deadline=parse_deadline(s["batas_jawaban"], periode), **where)

    def with_(self, **changes) -> Period:
        return dataclasses.replace(self, **changes)

    def files(self) -> Storage:
        if self.storage is None:
            raise ValueError(f"periode {self.periode}: this step reads or writes files: give the Period its storage")
        return self.storage

    def exchange(self) -> str:
        if not self.exchange_uri:
            raise ValueError(f"periode {self.periode}: this step uses the exchange: give the Period its exchange_uri")
        return self.exchange_uri

    def output(self) -> str:
        if not self.output_uri:
            raise ValueError(f"periode {self.periode}: this step writes the export: give the Period its output_uri")
        return self.output_uri

    def required_deadline(self, step: str) -> dt.datetime:
        if self.deadline is None:
            raise ValueError(f"periode {self.periode}: {step} needs the period's deadline (Period.opened reads it)")
        return self.deadline

    def deadline_passed(self, now: dt.datetime | None = None) -> bool:
        return self.deadline is not None and (now or dt.datetime.now(dt.UTC)) >= self.deadline


def of_moment(when: dt.datetime) -> str:
    """The period (month) a moment falls in, in Jakarta time."""
    return when.astimezone(WIB).strftime("%Y-%m")


def default_deadline(periode: str) -> dt.datetime:
    """The period's last day, 23:59 WIB."""
    year, month = map(int, check_periode(periode).split("-"))
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.datetime.combine(first_next - dt.timedelta(days=1), dt.time(23, 59), WIB)


def parse_deadline(value: str | None, periode: str) -> dt.datetime:
    """An ISO 8601 timestamp with its offset, or by default the period's last day, 23:59 WIB."""
    if not value:
        return default_deadline(periode)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as err:
        raise ContractError(
            f"batas_jawaban {value!r} is not an ISO 8601 timestamp (e.g. {periode}-28T23:59:00+07:00)"
        ) from err
    if parsed.tzinfo is None:
        raise ContractError(f"batas_jawaban {value!r} needs an offset (e.g. +07:00)")
    return parsed


def parse_stage_days(days) -> list[int]:
    """The stage calendar: days of the month (1-28, so every month has them), ascending."""
    if days in (None, "", []):
        return list(DEFAULT_STAGE_DAYS)
    if isinstance(days, str):
        days = [d for d in re.split(r"[,\s]+", days.strip()) if d]
    try:
        parsed = sorted({int(d) for d in days})
    except (TypeError, ValueError) as err:
        raise ContractError(f"hari_tahap {days!r}: days of the month, e.g. [15, 28]") from err
    if not parsed or parsed[0] < 1 or parsed[-1] > 28:
        raise ContractError(f"hari_tahap {days!r}: days of the month between 1 and 28, e.g. [15, 28]")
    return parsed


def state(dsn: str, periode: str) -> dict | None:
    """Where the period stands (None: never opened)."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "periode/01_read_keadaan", {"periode": periode})
    if not rows:
        return None
    ((p, deadline, days, closed_at, reason, stages, open_requests, *waiting, passed),) = rows
    return {
        "periode": p,
        "batas_jawaban": deadline,
        "hari_tahap": list(days),
        "ditutup_at": closed_at,
        "ditutup_alasan": reason,
        "tahap": stages,
        "permintaan_terbuka": open_requests,
        "menunggu": dict(zip(WAITING, waiting, strict=True)),
        "batas_lewat": bool(passed),
    }


def _closed_message(s: dict, step: str) -> str:
    return (
        f"periode {s['periode']} was closed at {s['ditutup_at']}"
        + (f" ({s['ditutup_alasan']})" if s["ditutup_alasan"] else "")
        + f": {step} does nothing for it (nothing is planned, sent, ingested or rewritten once a period is "
        f"closed). To change it anyway, reopen it: kuota periode-buka-kembali --periode {s['periode']} "
        f"--alasan '<why>'"
    )


def _opened(dsn: str, periode: str) -> dict | None:
    """Whether the period is opened and closed (None: never opened), without state()'s counts."""
    with db.connect(dsn) as conn:
        rows = db.run(conn, "periode/07_read_ditutup", {"periode": periode})
    if not rows:
        return None
    ((p, closed_at, reason),) = rows
    return {"periode": p, "ditutup_at": closed_at, "ditutup_alasan": reason}


def require_open(dsn: str, periode: str, step: str, full: bool = True) -> dict:
    """The period's state, if it is opened and not closed; otherwise a clear refusal. Not
    ``full``: only its name and closing (no counts of its records: a step that only needs to
    know it may run, once per batch, pays nothing that grows with the period)."""
    s = (state if full else _opened)(dsn, check_periode(periode))
    if s is None:
        raise ContractError(f"periode {periode} is not opened: run kuota_bulanan for it first ({step})")
    if s["ditutup_at"]:
        raise PeriodeDitutup(_closed_message(s, step))
    return s


def while_open(step: str):
    """A step of a period (a function taking a ``period``, or ``dsn`` and ``periode``) that
    changes it: refused, before it does anything, once the period is closed."""

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def guarded_step(*args, **kwargs):
            require_open(*db.step_of(signature.bind(*args, **kwargs).arguments), step, full=False)
            return fn(*args, **kwargs)

        return guarded_step

    return wrap


def check_opening(
    dsn: str,
    periode: str,
    batas_jawaban: str | None,
    hari_tahap=None,
    now: dt.datetime | None = None,
    refuse_passed: bool = True,
) -> dict:
    """Before a cutoff is loaded for a period: what the period opens with. A period opened
    already keeps its deadline and calendar (stored once); a closed one is refused; a new one
    whose deadline has already passed is refused, since it could never send anything (unless
    ``refuse_passed`` is off: the library's callers that replay a past period on purpose)."""
    check_periode(periode)
    s = state(dsn, periode)
    if s is not None:
        if s["ditutup_at"]:
            raise PeriodeDitutup(_closed_message(s, "kuota_bulanan"))
        if batas_jawaban and parse_deadline(batas_jawaban, periode) != dt.datetime.fromisoformat(s["batas_jawaban"]):
            log.warning(
                "periode %s is opened already with the deadline %s: it stands (batas_jawaban %s ignored; "
                "change it with kuota periode-batas)",
                periode,
                s["batas_jawaban"],
                batas_jawaban,
            )
        return {"periode": periode, "batas_jawaban": s["batas_jawaban"], "hari_tahap": s["hari_tahap"], "opened": True}
    deadline = parse_deadline(batas_jawaban, periode)
    days = parse_stage_days(hari_tahap)
    now = now or dt.datetime.now(dt.UTC)
    if refuse_passed and deadline <= now:
        given = "given" if batas_jawaban else "by default, the period's last day"
        raise ContractError(
            f"periode {periode}: its deadline for answers {deadline.isoformat()} ({given}) has already passed, so "
            f"the period could never send anything to a provider; nothing loaded. Run again with batas_jawaban set "
            f"to the real deadline, after today (ISO 8601 with offset, e.g. "
            f"{(now + dt.timedelta(days=14)).astimezone(WIB).strftime('%Y-%m-%dT23:59:00+07:00')})"
        )
    return {"periode": periode, "batas_jawaban": deadline.isoformat(), "hari_tahap": days, "opened": False}


def open_period(dsn: str, periode: str, cutoff_id: int, opening: dict, oleh: str) -> None:
    """Bind the period to its cutoff, with its deadline and calendar (once)."""
    with db.connect(dsn) as conn:
        ((bound,),) = db.run(
            conn,
            "periode/02_open_periode",
            {
                "periode": periode,
                "cutoff_id": cutoff_id,
                "batas_jawaban": opening["batas_jawaban"],
                "hari_tahap": parse_stage_days(opening["hari_tahap"]),
                "oleh": oleh,
            },
        )
    if bound != cutoff_id:
        raise ContractError(f"periode {periode} already runs on cutoff {bound}, not {cutoff_id}")


def resolve_stage(dsn: str, periode: str | None, tahap: int | None, when: dt.datetime) -> tuple[str, int]:
    """The period and stage a run is for. Not given (a scheduled run): an earlier period still
    open past its deadline (its closing run is owed), else the latest period opened for the
    run's month or before; and the stage whose day in its calendar last came (the first
    before the period's month, the last after it)."""
    if not periode:
        with db.connect(dsn) as conn:
            rows = db.run(conn, "periode/03_find_terbaru", {"bulan": of_moment(when), "saat": when})
        if not rows:
            raise ContractError(f"no period is opened for {of_moment(when)} or before: run kuota_bulanan first")
        periode = rows[0][0]
    if tahap in (None, ""):
        s = state(dsn, check_periode(periode))
        if s is None:
            raise ContractError(f"periode {periode} is not opened: run kuota_bulanan for it first")
        local = when.astimezone(WIB)
        if of_moment(when) > periode:
            tahap = len(s["hari_tahap"])
        elif of_moment(when) < periode:
            tahap = 1
        else:
            tahap = max(1, sum(day <= local.day for day in s["hari_tahap"]))
    return check_periode(periode), int(tahap)


def may_close(s: dict, alasan: str | None) -> bool:
    """The closing step may close: the deadline passed, no request open, and nothing waits
    short of a request unless an operator gave the reason to close all the same."""
    return (
        s["batas_lewat"]
        and not s["ditutup_at"]
        and not s["permintaan_terbuka"]
        and (not any(s["menunggu"].values()) or bool(alasan and alasan.strip()))
    )


def _change(
    dsn: str, periode: str, aksi: str, alasan: str | None, oleh: str, batas_jawaban: dt.datetime | None = None
) -> tuple | None:
    with db.serialized(dsn, periode, "lifecycle"), db.connect(dsn) as conn:
        rows = db.run(
            conn,
            "periode/05_change_periode",
            {"periode": periode, "aksi": aksi, "alasan": alasan, "oleh": oleh, "batas_jawaban": batas_jawaban},
        )
    return rows[0] if rows else None


def close(dsn: str, periode: str, oleh: str, alasan: str | None = None) -> dict:
    """The period's closing step, after its deadline: marks it closed, once. Before the
    deadline it does nothing; with records still waiting and no reason, it refuses, naming
    them and the two ways on (more time, or close with a reason). It holds the period's close
    lock: a send or an ingest in flight (they hold it shared) finishes first, and one that
    starts after it finds the period closed."""
    with db.serialized(dsn, check_periode(periode), "close"):
        return _close(dsn, periode, oleh, alasan)


def _close(dsn: str, periode: str, oleh: str, alasan: str | None) -> dict:
    s = require_open(dsn, periode, "the closing step")
    if not s["batas_lewat"]:
        log.info("periode %s: its deadline %s has not passed: the period stays open", periode, s["batas_jawaban"])
        return {"periode": periode, "closed": False, "batas_jawaban": s["batas_jawaban"]}
    if s["permintaan_terbuka"]:
        raise ContractError(
            f"periode {periode}: {s['permintaan_terbuka']:,} requests are still open after the "
            f"deadline: the deadline's close (close_at_deadline) must run first"
        )
    waiting = {k: v for k, v in s["menunggu"].items() if v}
    if not may_close(s, alasan):
        raise ContractError(
            f"periode {periode}: the deadline {s['batas_jawaban']} has passed with records still waiting short of a "
            f"request: "
            + ", ".join(f"{v:,} {k}" for k, v in waiting.items())
            + ". The period stays open and its export is not final. Either give them time: kuota periode-batas "
            f"--periode {periode} --batas-jawaban <later, ISO 8601> --alasan '<why>', then run the stages; or close "
            f"it with them as they are: run kuota_tahap again with alasan_tutup '<why>' (recorded in the "
            f"period's history)."
        )
    changed = _change(dsn, periode, "ditutup", alasan.strip() if waiting and alasan else None, oleh)
    if changed is None:
        raise ContractError(f"periode {periode}: not closed: its state changed meanwhile; run the stage again")
    log.warning(
        "periode %s closed at %s%s",
        periode,
        changed[1],
        f" with records still waiting ({waiting}): {alasan}" if waiting else "",
    )
    return {"periode": periode, "closed": True, "ditutup_at": changed[1], "menunggu": waiting}


def reopen(dsn: str, periode: str, alasan: str, oleh: str, batas_jawaban: str | None = None) -> dict:
    """An operator's decision, with its reason in the period's history."""
    _need_reason(alasan)
    deadline = parse_deadline(batas_jawaban, periode) if batas_jawaban else None
    changed = _change(dsn, check_periode(periode), "dibuka_kembali", alasan.strip(), oleh, deadline)
    if changed is None:
        raise ContractError(f"periode {periode} is not closed (or not opened): nothing to reopen")
    log.warning("periode %s reopened (deadline %s): %s", periode, changed[0], alasan)
    return {"periode": periode, "batas_jawaban": changed[0], "reopened": True}


def set_deadline(dsn: str, periode: str, batas_jawaban: str, alasan: str, oleh: str) -> dict:
    """Move an open period's deadline (more time for partners, or an earlier close)."""
    _need_reason(alasan)
    deadline = parse_deadline(batas_jawaban, check_periode(periode))
    changed = _change(dsn, periode, "batas_diubah", alasan.strip(), oleh, deadline)
    if changed is None:
        require_open(dsn, periode, "changing the deadline")
        raise ContractError(f"periode {periode}: the deadline was not changed")
    log.warning("periode %s: deadline now %s: %s", periode, changed[0], alasan)
    return {"periode": periode, "batas_jawaban": changed[0]}


def _need_reason(alasan: str | None) -> None:
    if not alasan or len(alasan.strip()) < 10:
        raise ContractError(
            "a reason is required (--alasan, at least 10 characters): it goes into the period's history"
        )


def history(dsn: str, periode: str) -> list[tuple]:
    with db.connect(dsn) as conn:
        return db.run(conn, "periode/06_read_riwayat", {"periode": periode})


def describe(s: dict | None, periode: str) -> list[str]:
    """The period's lifecycle in the run summary."""
    if s is None:
        return [f"periode {periode}: not opened yet"]
    days = ", ".join(str(d) for d in s["hari_tahap"])
    lines = [
        f"  lifecycle: deadline for answers {s['batas_jawaban']}, stages on days {days}, "
        f"{s['tahap']} stage(s) run so far"
    ]
    waiting = {k: v for k, v in s["menunggu"].items() if v}
    if s["ditutup_at"]:
        lines.append(
            f"  CLOSED at {s['ditutup_at']}"
            + (f" ({s['ditutup_alasan']})" if s["ditutup_alasan"] else "")
            + ": nothing more is planned, sent, ingested or rewritten for this period"
        )
    elif s["batas_lewat"] and waiting:
        lines.append(
            "  WARNING the deadline has passed with records still waiting short of a request ("
            + ", ".join(f"{v:,} {k}" for k, v in waiting.items())
            + "): the period is not closed and its export is not final"
        )
    elif s["batas_lewat"]:
        lines.append("  the deadline has passed: the next stage run closes the period")
    return lines


@db.one_at_a_time("open_stage")
def open_stage(dsn: str, periode: str | None, tahap: int | None, when: dt.datetime | None = None) -> dict:
    """Record a stage of an opened period (once); a corrections file joins the stage that
    takes it. A scheduled run names neither: they come from the run's date and the period's
    calendar. A closed period is refused; after the deadline the stage is the closing one."""
    periode, tahap = resolve_stage(dsn, periode, tahap, when or dt.datetime.now(dt.UTC))
    s = require_open(dsn, periode, f"stage {tahap}")
    with db.connect(dsn) as conn:
        stages = db.run(conn, "periode/04_open_tahap", {"periode": periode, "tahap": tahap})
    log.info(
        "periode %s: stage %d (stages so far: %s); deadline for answers %s",
        periode,
        tahap,
        ", ".join(f"{t} at {at}" for t, at in stages),
        s["batas_jawaban"],
    )
    if s["batas_lewat"]:
        waiting = {k: v for k, v in s["menunggu"].items() if v}
        log.warning(
            "periode %s: the deadline %s has passed: this run plans and sends nothing, closes the requests "
            "still open, and closes the period if nothing waits%s",
            periode,
            s["batas_jawaban"],
            f" (waiting: {waiting})" if waiting else "",
        )
    return {
        "periode": periode,
        "tahap": tahap,
        "stages": len(stages),
        "batas_jawaban": s["batas_jawaban"],
        "batas_lewat": s["batas_lewat"],
    }
