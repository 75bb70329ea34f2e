"""Attacks on the period's lifecycle: ways a period could be closed while its records were
never served, never closed at all, changed without its history, or paid for after it closed.
Each test is a hole found in review (tests/test_periode.py covers the lifecycle itself)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg2
import pytest
from conftest import query
from helpers import validated_period

from kuota import periode, summary
from kuota.bulanan import screening, snapshot
from kuota.infra import db
from kuota.infra.errors import ContractError, PeriodeDitutup
from kuota.partners import exchange
from kuota.partners.manifest import file_manifest, manifest_uri, now_iso
from kuota.periode import WIB
from kuota.tahap import ekspor, sptjm
from kuota_tools import generator
from kuota_tools.simulator import Fault, ProviderSimulator

PERIODE = "2020-09"
UTC = dt.UTC


def _opened(dsn, storage, bucket, students: int = 400, seed: int = 21) -> str:
    """A period opened on its cutoff (loaded, not screened); returns the cutoff's uri."""
    cutoff = f"s3://{bucket}/dapodik/cutoff"
    generator.generate(cutoff, generator.Scale.for_students(students), seed=seed, storage=storage)
    snapshot.run_snapshot(dsn, PERIODE, cutoff, storage)
    return cutoff


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T06:00:00+07:00")


# -- a period closed while nobody was served --------------------------------------------------


def test_a_period_never_screened_is_not_closed_as_if_nothing_waited(dsn, storage, bucket, period):
    """kuota_bulanan failed at screening (the run is red), the period stays opened on its
    cutoff; after the deadline the stage run found nothing waiting (no kuota.penerima row at
    all), closed the period and wrote a final export of zero records: every pupil and teacher
    of the cutoff dropped, and the closing run green."""
    _opened(dsn, storage, bucket)
    cutoff_records = query(
        dsn, "SELECT sum(manifest_rows)::bigint FROM snapshot.cutoff_file WHERE tabel IN ('peserta_didik', 'ptk')"
    )[0][0]
    s = periode.state(dsn, PERIODE)
    assert s["batas_lewat"] and cutoff_records > 0
    assert not periode.may_close(s, None), "a period whose cutoff was never screened would close (and export final)"
    with pytest.raises(ContractError, match=f"{cutoff_records:,} belum_disaring"):
        periode.close(dsn, PERIODE, "test")
    assert not periode.state(dsn, PERIODE)["ditutup_at"]
    assert "WARNING the deadline has passed with records still waiting" in summary.summary(period)


def test_screening_refuses_a_closed_period(dsn, storage, bucket, period):
    """Screening writes every cutoff record of the period into kuota.penerima (48 million rows,
    no trigger there): a cleared screen_records task or `kuota screen` must not fill a closed
    period."""
    _opened(dsn, storage, bucket)
    periode.close(dsn, PERIODE, "test", alasan="the cutoff was withdrawn by Dapodik; nothing is sent")
    with pytest.raises(PeriodeDitutup, match="was closed at"):
        screening.screen(period)
    assert query(dsn, "SELECT count(*) FROM kuota.penerima") == [(0,)]


# -- a period never closed -------------------------------------------------------------------


@pytest.mark.heavy
def test_a_scheduled_run_closes_an_earlier_period_whose_moved_deadline_passed(dsn, storage, bucket, period):
    """The README's own example: September's deadline moved to 7 October. The 1 October run
    is then not the closing one, and from 12 October the scheduled runs take October (the
    latest period opened): September's requests stay open for ever, never residu
    tanpa_respons_provider, its export never final, and no run fails."""
    validated_period(dsn, storage, bucket, PERIODE, 600, seed=22)
    periode.set_deadline(dsn, PERIODE, "2020-10-07T23:59:00+07:00", "providers asked for one more week", "test")
    ((cutoff_id,),) = query(dsn, "SELECT cutoff_id FROM kuota.periode WHERE periode = %s", (PERIODE,))
    periode.open_period(
        dsn, "2020-10", cutoff_id, {"batas_jawaban": "2020-10-31T23:59:00+07:00", "hari_tahap": [15, 28]}, "test"
    )

    assert periode.resolve_stage(dsn, None, None, _at("2020-10-01")) == ("2020-10", 1)  # September not due yet
    assert periode.resolve_stage(dsn, None, None, _at("2020-10-15")) == (PERIODE, 2), (
        "the first stage run after September's deadline must be September's closing run"
    )
    s = periode.state(dsn, PERIODE)
    exchange.close_unanswered(period.with_(deadline=dt.datetime.fromisoformat(s["batas_jawaban"])))
    periode.close(dsn, PERIODE, "test", alasan="the rest waits for October, as agreed")
    assert periode.resolve_stage(dsn, None, None, _at("2020-10-15")) == ("2020-10", 1)


def test_a_run_before_the_periods_month_is_its_first_stage(dsn, storage, bucket):
    """A run on 28 August for the September period (opened early) is not its stage 2."""
    _opened(dsn, storage, bucket)
    assert periode.resolve_stage(dsn, PERIODE, None, _at("2020-08-28")) == (PERIODE, 1)
    assert periode.resolve_stage(dsn, PERIODE, None, _at("2020-09-28")) == (PERIODE, 2)
    assert periode.resolve_stage(dsn, PERIODE, None, _at("2020-10-01")) == (PERIODE, 2)


# -- sent after the deadline, or after the close ----------------------------------------------


@pytest.mark.heavy
def test_after_the_deadline_a_stage_run_re_sends_nothing(dsn, storage, bucket, period):
    """open_stage says a run after the deadline "plans and sends nothing", but send_batch
    re-sent a batch whose answer was quarantined: the provider answers (for an injection:
    delivers) again, the wait is skipped at once and the close turns the batch into residu
    tanpa_respons_provider, so what it did is never loaded (never paid)."""
    cutoff, ex = f"s3://{bucket}/dapodik/cutoff", f"s3://{bucket}/exchange"
    generator.generate(cutoff, generator.Scale.for_students(600), seed=23, storage=storage)
    snapshot.run_snapshot(dsn, PERIODE, cutoff, storage)
    screening.run_screening(period)
    sent = [
        exchange.send_batch(period, b["batch_id"])
        for p in exchange.providers_to(period, "validasi")
        for b in exchange.plan(period, p, "validasi", 500)
    ]
    bad = next(s for s in sent if s["provider"] == "xl")
    ProviderSimulator(storage, ex, PERIODE, faults=[Fault("missing_rows", "xl", 1, "validasi")]).step()
    with pytest.raises(ContractError, match="quarantined"):
        exchange.ingest_answer(period, bad["batch_id"])
    before = storage.modified_at(manifest_uri(bad["uri"]))
    time.sleep(1.1)
    deadline = dt.datetime.now(UTC) - dt.timedelta(minutes=1)  # what the stage run passes: the period's
    again = exchange.send_batch(period.with_(deadline=deadline), bad["batch_id"])
    assert again["outcome"] != "sent"
    assert storage.modified_at(manifest_uri(bad["uri"])) == before


@pytest.mark.heavy
def test_the_closing_step_waits_for_a_send_or_an_ingest_in_flight(dsn, storage, bucket, period):
    """A send or an ingest checks that the period is open, then writes (S3: the provider's
    inbox; a batch written there after the close is answered, and for an injection
    delivered, never loaded). The closing step must not slip between the check and the
    write: it waits for them (they hold the period's close lock shared, as the ingest did for
    the deadline's close), and what starts after it finds the period closed."""
    validated_period(dsn, storage, bucket, PERIODE, 600, seed=24)
    s = periode.state(dsn, PERIODE)
    exchange.close_unanswered(period.with_(deadline=dt.datetime.fromisoformat(s["batas_jawaban"])))
    closed = {}
    with db.serialized(dsn, PERIODE, "close", shared=True):  # a send or an ingest in flight
        closer = threading.Thread(
            target=lambda: closed.update(periode.close(dsn, PERIODE, "test", alasan="the month is paid as it stands"))
        )
        closer.start()
        time.sleep(3)
        assert closer.is_alive() and not periode.state(dsn, PERIODE)["ditutup_at"], (
            "the period closed while a send or an ingest was between its check and its write"
        )
    closer.join(30)
    assert closed["closed"]
    batch = exchange.batches_of(period)[0]["batch_id"]
    with pytest.raises(PeriodeDitutup):
        exchange.send_batch(period, batch, force=True)


# -- the lifecycle changed without its history ------------------------------------------------


def test_the_lifecycle_never_changes_without_its_history_row(dsn, storage, bucket):
    """kuota.periode had no guard: a direct UPDATE reopened a closed period, moved its
    deadline or its closing time, or changed its stage calendar or cutoff, with no row in
    kuota.periode_riwayat (the README: changed only by an operator, with a reason)."""
    _opened(dsn, storage, bucket)
    attacks_open = [
        "UPDATE kuota.periode SET batas_jawaban = now() + interval '1 year'",
        "UPDATE kuota.periode SET hari_tahap = ARRAY[1]",
        "UPDATE kuota.periode SET ditutup_at = now()",
    ]
    for attack in attacks_open:
        with pytest.raises(psycopg2.errors.IntegrityConstraintViolation):
            query(dsn, attack)
    periode.close(dsn, PERIODE, "test", alasan="the cutoff was withdrawn by Dapodik; nothing is sent")
    attacks_closed = [
        "UPDATE kuota.periode SET ditutup_at = NULL, ditutup_alasan = NULL",
        "UPDATE kuota.periode SET ditutup_at = ditutup_at - interval '3 days'",
        "UPDATE kuota.periode SET batas_jawaban = batas_jawaban + interval '7 days'",
        "UPDATE kuota.periode SET ditutup_alasan = 'a better story'",
        "UPDATE kuota.periode SET cutoff_id = cutoff_id + 1",
    ]
    for attack in attacks_closed:
        with pytest.raises((psycopg2.errors.IntegrityConstraintViolation, psycopg2.errors.ForeignKeyViolation)):
            query(dsn, attack)
    assert periode.state(dsn, PERIODE)["ditutup_at"]
    # The commands still work, each with its history row.
    periode.reopen(
        dsn,
        PERIODE,
        "the cutoff is back: run the period again",
        "test",
        batas_jawaban=(dt.datetime.now(UTC) + dt.timedelta(days=3)).isoformat(),
    )
    periode.set_deadline(
        dsn,
        PERIODE,
        (dt.datetime.now(UTC) + dt.timedelta(days=5)).isoformat(),
        "schools asked for two more days",
        "test",
    )
    assert [h[1] for h in periode.history(dsn, PERIODE)] == ["dibuka", "ditutup", "dibuka_kembali", "batas_diubah"]


# -- paid for after the close ----------------------------------------------------------------


@pytest.mark.heavy
def test_no_injection_is_added_to_a_closed_period_even_straight_at_the_database(dsn, storage, bucket, period):
    """The BAST (what a provider is paid) is read from kuota.injeksi and kuota.permintaan, and
    neither refused a closed period: an injection request, answered berhasil, inserted after
    the close for a record approved and never injected, was paid in the next BAST."""
    ex = validated_period(dsn, storage, bucket, PERIODE, 1_500, seed=25)
    sptjm.issue(period.with_(tahap=1))
    sptjm.write_files(period)
    numbers = [n for (n,) in query(dsn, "SELECT sptjm_no FROM kuota.sptjm ORDER BY 1")]
    rows = [(no, no.split("-")[3], "disetujui", "2020-09-20T10:00:00+07:00") for no in numbers]
    data = ("sptjm_no,npsn,keputusan,waktu\n" + "".join(",".join(r) + "\n" for r in rows)).encode()
    folder = f"{ex}/portal/{PERIODE}/persetujuan"
    storage.write_bytes(f"{folder}/keputusan-1.csv", data)
    storage.write_bytes(
        f"{folder}/keputusan-1.manifest.json", file_manifest("keputusan-1.csv", data, len(rows), now_iso())
    )
    assert sptjm.ingest_decisions(period.with_(tahap=1))["loaded"] == 1
    s = periode.state(dsn, PERIODE)
    exchange.close_unanswered(period.with_(deadline=dt.datetime.fromisoformat(s["batas_jawaban"])))
    periode.close(dsn, PERIODE, "test", alasan="no injection this month: the contract lapsed")
    bast_before = ekspor.bast(period)

    ((sptjm_no, jenis, rid, msisdn, provider, paket),) = query(
        dsn,
        "SELECT sptjm_no, jenis, id::text, msisdn, provider, paket_gb FROM kuota.sptjm_penerima "
        "ORDER BY 1, 2, 3 LIMIT 1",
    )
    ((batch,),) = query(
        dsn,
        "SELECT batch_id FROM kuota.batch WHERE periode = %s AND provider = %s ORDER BY 1 LIMIT 1",
        (PERIODE, provider),
    )
    late = (
        f"INSERT INTO kuota.injeksi (request_id, batch_id, periode, jenis, id, sptjm_no, msisdn, provider, "
        f"paket_gb) VALUES ('late-1', '{batch}', '{PERIODE}', '{jenis}', '{rid}', '{sptjm_no}', '{msisdn}', "
        f"'{provider}', {paket}); "
        f"INSERT INTO kuota.permintaan (request_id, batch_id, periode, jenis, msisdn, paket_gb, hasil, dijawab_at) "
        f"VALUES ('late-1', '{batch}', '{PERIODE}', 'injeksi', '{msisdn}', {paket}, 'berhasil', now())"
    )
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation):
        query(dsn, late)
    assert ekspor.bast(period) == bast_before


def test_a_scheduled_run_for_a_moment_in_jakarta_time(dsn, storage, bucket):
    """23:30 UTC on 30 September is 06:30 WIB on 1 October: September's closing run."""
    _opened(dsn, storage, bucket)
    assert periode.resolve_stage(dsn, None, None, dt.datetime(2020, 9, 30, 23, 30, tzinfo=UTC)) == (PERIODE, 2)
    assert periode.resolve_stage(dsn, None, None, dt.datetime(2020, 9, 14, 23, 30, tzinfo=UTC)) == (PERIODE, 1)
    assert periode.resolve_stage(dsn, None, None, dt.datetime(2020, 9, 30, 23, 30, tzinfo=WIB)) == (PERIODE, 2)
