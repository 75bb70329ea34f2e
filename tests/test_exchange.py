"""The validation exchange with providers (exchange.md §2) on the real stack: batches out,
the provider simulator answering (and misbehaving), answers in, quarantine, redo."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pytest
from conftest import query
from helpers import read_csv

from kuota.bulanan.residu import write_residu
from kuota.infra.errors import ContractError
from kuota.partners import exchange, layout
from kuota.partners.contract import PROVIDERS
from kuota.partners.layout import answer_uri
from kuota.periode import Period
from kuota.tahap import validasi
from kuota_tools.simulator import Fault, ProviderSimulator

PERIODE = "2020-09"
UTC = dt.UTC


def _send_all(period: Period, batch_rows=300) -> list[dict]:
    sent = []
    for provider in validasi.EXCHANGE.providers(period):
        for batch in validasi.EXCHANGE.plan(period, provider, batch_rows):
            sent.append(exchange.send_batch(period, batch["batch_id"]))
    return sent


def _ingest_all(period: Period) -> dict[str, str]:
    """batch_id -> outcome, or the error of a quarantined answer."""
    out = {}
    for batch in validasi.EXCHANGE.batches(period):
        try:
            out[batch["batch_id"]] = exchange.ingest_answer(period, batch["batch_id"])["outcome"]
        except ContractError as err:
            out[batch["batch_id"]] = str(err)
    return out


def _states(dsn) -> list[tuple]:
    return query(
        dsn,
        "SELECT jenis, id, status, coalesce(alasan, ''), msisdn FROM kuota.penerima WHERE periode = %s ORDER BY 1, 2",
        (PERIODE,),
    )


def _ledger(dsn) -> list[tuple]:
    return query(dsn, "SELECT r.request_id, r.batch_id, r.msisdn, r.hasil FROM kuota.permintaan r ORDER BY 1")


@pytest.mark.heavy
def test_batches_hold_only_request_id_and_msisdn_one_row_per_number(dsn, storage, screened, period):
    sent = _send_all(period)
    assert {s["provider"] for s in sent} <= set(PROVIDERS) and len(sent) > len({s["provider"] for s in sent})
    numbers = {
        m
        for (m,) in query(
            dsn,
            "SELECT DISTINCT msisdn FROM kuota.penerima WHERE periode = %s AND status = 'dikirim_validasi'",
            (PERIODE,),
        )
    }
    personal = set()
    for table, cols in (
        ("peserta_didik", "nisn, nik, nama, nama_ibu_kandung"),
        ("ptk", "nuptk, nik, nama, nama_ibu_kandung"),
    ):
        for row in query(dsn, f"SELECT {cols} FROM snapshot.{table}"):
            personal |= {v for v in row if v and len(v) >= 6}
    seen = []
    for s in sent:
        rows = read_csv(storage, s["uri"])
        assert rows[0] == ["request_id", "msisdn"]
        assert all(len(r) == 2 and re.fullmatch(r"628[0-9]{8,11}", r[1]) for r in rows[1:])
        assert len(rows) - 1 == s["rows"] <= 300
        text = gzip.decompress(storage.read_bytes(s["uri"])).decode()
        assert not any(value in text for value in personal), "personal data left for a provider"
        manifest = json.loads(storage.read_bytes(s["uri"].replace(".csv.gz", ".manifest.json")))
        assert manifest["rows"] == s["rows"] and manifest["sha256"] == s["sha256"]
        assert (manifest["provider"], manifest["periode"], manifest["kind"], manifest["batch_id"]) == (
            s["provider"],
            PERIODE,
            "validasi",
            s["batch_id"],
        )
        seen += [r[1] for r in rows[1:]]
    assert sorted(seen) == sorted(numbers)  # every number waiting once, and only those
    # The outbound table cannot carry anything else: its columns are the contract's and the ids.
    ((cols,),) = query(
        dsn,
        "SELECT array_agg(column_name::text ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_schema = 'kuota' AND table_name = 'permintaan'",
    )
    assert set(cols) == {
        "request_id",
        "batch_id",
        "periode",
        "jenis",
        "msisdn",
        "paket_gb",
        "hasil",
        "alasan",
        "waktu_injeksi",
        "dijawab_at",
    }  # the package leaves with injections; the rest is answers


@pytest.mark.heavy
def test_validation_twice_gives_the_same_batches_bytes_and_states(dsn, storage, screened, period):
    ex = screened["exchange"]
    first = _send_all(period)
    sim = ProviderSimulator(storage, ex, PERIODE)
    sim.step()
    assert set(_ingest_all(period).values()) == {"loaded"}
    states, ledger = _states(dsn), _ledger(dsn)
    assert {s for _, _, s, _, _ in states} >= {"valid", "residu"}
    assert not [s for s in states if s[2] in ("siap_validasi", "dikirim_validasi")]

    again = _send_all(period)  # the whole stage again: same batches, same bytes
    assert [(a["batch_id"], a["sha256"]) for a in again] == [(f["batch_id"], f["sha256"]) for f in first]
    assert not sim.step()  # nothing new to answer
    assert set(_ingest_all(period).values()) == {"duplicate_ignored"}
    assert _states(dsn) == states and _ledger(dsn) == ledger
    ((loads,),) = query(dsn, "SELECT count(*) FROM kuota.jawaban WHERE hasil = 'dimuat'")
    assert loads == len(first)


@pytest.mark.heavy
def test_answers_move_recipients_to_valid_or_residu_by_status(dsn, storage, screened, period):
    ex = screened["exchange"]
    _send_all(period)
    waiting = query(dsn, "SELECT jenis, id FROM kuota.penerima WHERE status = 'dikirim_validasi' ORDER BY 1, 2")
    sim = ProviderSimulator(storage, ex, PERIODE)
    sim.step()
    _ingest_all(period)
    expected = {
        "aktif": ("valid", ""),
        "pascabayar": ("valid", ""),
        "tidak_aktif": ("residu", "nomor_tidak_aktif"),
        "masa_tenggang": ("residu", "masa_tenggang"),
        "tidak_dikenal": ("residu", "tidak_dikenal_provider"),
    }
    rows = query(
        dsn,
        "SELECT status, coalesce(alasan, ''), msisdn FROM kuota.penerima WHERE (jenis, id) IN "
        "(SELECT * FROM unnest(%s::text[], %s::uuid[]))",
        ([j for j, _ in waiting], [str(i) for _, i in waiting]),
    )
    assert len(rows) == len(waiting) > 0 and all(
        (status, alasan) == expected[sim.status_of(m)] for status, alasan, m in rows
    )
    # The residu went back to the schools' files.
    residu = write_residu(period)
    assert residu["written"] > 0
    ((n,),) = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE alasan = 'nomor_tidak_aktif'")
    assert n > 0


FAULT_ERRORS = {
    "missing_rows": r"requests are not answered, first: V-",
    "corrupt": r"sha256 of the file is [0-9a-f]{64}, the manifest says",
    "unknown_status": r"line \d+ \(request_id .* status 'hidup'\): unknown status",
    "foreign_rows": r"line \d+ \(request_id 'V-.*-9999999'.*\): request_id/msisdn pair not in the batch",
}


@pytest.mark.parametrize("fault", sorted(FAULT_ERRORS))
@pytest.mark.heavy
def test_a_bad_answer_is_quarantined_whole_and_the_redo_loads_it_once(dsn, storage, screened, fault, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    bad = next(s for s in sent if s["provider"] == "telkomsel")
    sim = ProviderSimulator(storage, ex, PERIODE, faults=[Fault(fault, "telkomsel")])
    sim.step()
    outcome = _ingest_all(period)
    error = outcome.pop(bad["batch_id"])
    assert set(outcome.values()) == {"loaded"}  # the other batches went on
    assert bad["batch_id"] in error and re.search(FAULT_ERRORS[fault], error), error
    # Nothing from it was loaded; its recipients still wait; the answer was moved with an error file.
    assert query(
        dsn, "SELECT count(*) FROM kuota.permintaan WHERE batch_id = %s AND hasil IS NOT NULL", (bad["batch_id"],)
    ) == [(0,)]
    waiting = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'dikirim_validasi'")[0][0]
    assert waiting >= bad["rows"]
    assert not storage.exists(answer_uri(ex, "telkomsel", PERIODE, "validasi", bad["batch_id"]))
    quarantined = storage.list_names(f"{ex}/karantina/provider/telkomsel/{PERIODE}/validasi")
    assert {n.rsplit(".", 2)[-2] + "." + n.rsplit(".", 1)[-1] for n in quarantined} >= {"error.txt", "manifest.json"}
    error_file = next(n for n in quarantined if n.endswith(".error.txt"))
    assert (
        bad["batch_id"]
        in storage.read_bytes(f"{ex}/karantina/provider/telkomsel/{PERIODE}/validasi/{error_file}").decode()
    )
    states = _states(dsn)
    # A re-run changes nothing: the answer is gone, the batch still waits.
    with pytest.raises(ContractError, match="no answer manifest"):
        exchange.ingest_answer(period, bad["batch_id"])
    assert _states(dsn) == states

    # Redo the batch alone: identical bytes re-sent, the provider answers again, loaded once.
    redo = exchange.send_batch(period, bad["batch_id"])
    assert redo["sha256"] == bad["sha256"]
    _bump_clock(sim, bad["batch_id"])
    assert [e["batch_id"] for e in sim.step()] == [bad["batch_id"]]
    assert exchange.ingest_answer(period, bad["batch_id"])["outcome"] == "loaded"
    assert exchange.ingest_answer(period, bad["batch_id"])["outcome"] == "duplicate_ignored"
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'dikirim_validasi'") == [(0,)]
    assert query(
        dsn, "SELECT count(*) FROM kuota.jawaban WHERE batch_id = %s AND hasil = 'dimuat'", (bad["batch_id"],)
    ) == [(1,)]


def _bump_clock(sim: ProviderSimulator, batch_id: str) -> None:
    """S3 timestamps have a one-second grain: make the simulator see the re-send as newer."""
    sim.batches[batch_id].sent_at -= 2


@pytest.mark.heavy
def test_duplicated_answer_is_ignored_and_changed_answer_quarantined(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    dup, chg = [s for s in sent if s["provider"] == "telkomsel"][:2]
    sim = ProviderSimulator(
        storage, ex, PERIODE, faults=[Fault("duplicate", "telkomsel"), Fault("changed", "telkomsel")]
    )
    sim.step()
    assert set(_ingest_all(period).values()) == {"loaded"}
    states, ledger = _states(dsn), _ledger(dsn)
    second = sim.step()
    assert sorted(e["batch_id"] for e in second) == sorted([dup["batch_id"], chg["batch_id"]])
    assert exchange.ingest_answer(period, dup["batch_id"])["outcome"] == "duplicate_ignored"
    with pytest.raises(ContractError, match="a different answer .* the first answer's outcome stands"):
        exchange.ingest_answer(period, chg["batch_id"])
    assert _states(dsn) == states and _ledger(dsn) == ledger
    # The ledger itself refuses to change an answer, a sent batch, or to forget either.
    with pytest.raises(Exception, match="the first answer stands"):
        query(dsn, "UPDATE kuota.permintaan SET hasil = 'aktif' WHERE hasil = 'tidak_aktif'")
    with pytest.raises(Exception, match="immutable"):
        query(
            dsn,
            "UPDATE kuota.permintaan SET msisdn = '6281200000000' WHERE request_id = %s",
            (dup["batch_id"] + "-0000001",),
        )
    with pytest.raises(Exception, match="it is immutable"):
        query(dsn, "UPDATE kuota.batch SET sha256 = %s WHERE batch_id = %s", ("0" * 64, dup["batch_id"]))
    with pytest.raises(Exception, match="it is immutable"):
        query(dsn, "UPDATE kuota.batch SET baris = baris + 1 WHERE batch_id = %s", (dup["batch_id"],))
    for table in ("kuota.permintaan", "kuota.batch"):
        with pytest.raises(Exception, match="is immutable"):
            query(dsn, f"DELETE FROM {table}")


@pytest.mark.heavy
def test_no_answer_and_late_answer_end_as_tanpa_respons_at_the_deadline(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    silent, late = [s for s in sent if s["provider"] == "telkomsel"][:2]
    sim = ProviderSimulator(
        storage, ex, PERIODE, late_seconds=3600, faults=[Fault("no_answer", "telkomsel"), Fault("late", "telkomsel")]
    )
    sim.step()
    outcome = _ingest_all(period)
    assert "no answer manifest" in outcome.pop(silent["batch_id"]) and "no answer manifest" in outcome.pop(
        late["batch_id"]
    )
    deadline = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    assert exchange.close_unanswered(period.with_(deadline=deadline))["closed_requests"] == 0  # not yet
    closed = exchange.close_unanswered(period.with_(deadline=deadline), now=deadline)
    assert closed["closed_requests"] == silent["rows"] + late["rows"]
    stuck = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE alasan = 'tanpa_respons_provider'")[0][0]
    assert stuck == closed["residu"] >= closed["closed_requests"]
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'dikirim_validasi'") == [(0,)]
    states = _states(dsn)
    # The late answer comes: quarantined, nothing changes; closing again changes nothing.
    assert [e["batch_id"] for e in sim.step(now=dt.datetime.now(UTC).timestamp() + 7200)] == [late["batch_id"]]
    with pytest.raises(ContractError, match="after the period's deadline"):
        exchange.ingest_answer(period, late["batch_id"])
    assert exchange.close_unanswered(period.with_(deadline=deadline), now=deadline)["closed_requests"] == 0
    assert _states(dsn) == states


def test_only_new_numbers_join_a_later_batch(dsn, storage, screened, period):
    screened["exchange"]
    first = _send_all(period)
    # A record made ready again (a later stage) on a number still being asked about: it
    # waits on the open request; a new number gets a new batch, numbered after the others.
    (moved,), (sibling,) = query(
        dsn,
        "SELECT id FROM kuota.penerima WHERE status = 'residu' "
        "AND alasan = 'kepemilikan_kosong' AND provider = 'telkomsel' ORDER BY id LIMIT 2",
    )
    ((open_number,),) = query(
        dsn,
        "SELECT msisdn FROM kuota.permintaan r JOIN kuota.batch USING (batch_id) WHERE provider = 'telkomsel' LIMIT 1",
    )
    for rid, number in ((moved, "6281299990001"), (sibling, open_number)):
        query(
            dsn,
            "UPDATE kuota.penerima SET status = 'siap_validasi', alasan = NULL, msisdn = %s, tahap = 2 WHERE id = %s",
            (number, rid),
        )
    second = validasi.EXCHANGE.plan(period.with_(tahap=2), "telkomsel", 300)
    new = [b for b in second if b["batch_id"] not in {f["batch_id"] for f in first}]
    assert len(new) == 1 and new[0]["rows"] == 1
    assert new[0]["batch_id"].startswith(f"V-{PERIODE}-telkomsel-{len(second):04d}-")
    assert query(dsn, "SELECT request_id FROM kuota.permintaan WHERE batch_id = %s", (new[0]["batch_id"],)) == [
        (new[0]["batch_id"] + "-0000001",)
    ]
    assert (
        query(dsn, "SELECT status FROM kuota.penerima WHERE id IN (%s, %s)", (moved, sibling))
        == [("dikirim_validasi",)] * 2
    )
    # The database refuses a second open request for one number.
    with pytest.raises(Exception, match="permintaan_validasi_terbuka"):
        query(
            dsn,
            "INSERT INTO kuota.permintaan (request_id, batch_id, periode, jenis, msisdn) "
            "SELECT 'x-1', batch_id, periode, jenis, msisdn FROM kuota.permintaan LIMIT 1",
        )


@pytest.mark.heavy
def test_answer_manifest_rules_and_a_data_file_left_without_manifest(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    first, second, third = sent[:3]
    sim = ProviderSimulator(storage, ex, PERIODE)
    sim.step()
    # A manifest naming another batch, and one whose row count disagrees: quarantined.
    for batch, edit, rule in (
        (first, {"batch_id": second["batch_id"]}, "batch_id is"),
        (second, {"rows": second["rows"] + 1}, "the manifest says"),
    ):
        uri = layout.answer_manifest_uri(ex, batch["provider"], PERIODE, "validasi", batch["batch_id"])
        storage.write_bytes(uri, json.dumps({**json.loads(storage.read_bytes(uri)), **edit}).encode())
        with pytest.raises(ContractError, match=rule):
            exchange.ingest_answer(period, batch["batch_id"])
    # A data file whose manifest never comes: not consumed; at the deadline, quarantined.
    storage.delete(layout.answer_manifest_uri(ex, third["provider"], PERIODE, "validasi", third["batch_id"]))
    with pytest.raises(ContractError, match="no answer manifest"):
        exchange.ingest_answer(period, third["batch_id"])
    for batch in sent[3:]:
        exchange.ingest_answer(period, batch["batch_id"])
    closed = exchange.close_unanswered(period.with_(deadline=dt.datetime.now(UTC)))
    assert closed["quarantined_without_manifest"] == 1
    assert not storage.exists(answer_uri(ex, third["provider"], PERIODE, "validasi", third["batch_id"]))
    ((message,),) = query(dsn, "SELECT pesan FROM kuota.jawaban WHERE batch_id = %s", (third["batch_id"],))
    assert third["batch_id"] in message and "without its manifest" in message
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.permintaan WHERE hasil NOT IN ('tanpa_respons') AND batch_id IN (%s, %s, %s)",
        (first["batch_id"], second["batch_id"], third["batch_id"]),
    ) == [(0,)]


@pytest.mark.heavy
def test_the_simulator_waits_its_delay_before_answering(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    sim = ProviderSimulator(storage, ex, PERIODE, delay_seconds=3600)
    assert sim.step() == []
    later = sim.step(now=dt.datetime.now(UTC).timestamp() + 3601)
    assert sorted(e["batch_id"] for e in later) == sorted(s["batch_id"] for s in sent)


@pytest.mark.heavy
def test_validate_without_airflow_against_the_simulator_process(dsn, storage, screened, period):
    """`kuota validate` (the exchange without Airflow) with `python -m kuota_tools simulate-providers` running
    as its own process, one provider misbehaving: the rest loads, the bad batch is reported."""
    import os
    import subprocess
    import sys

    ex = screened["exchange"]
    providers = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kuota_tools",
            "simulate-providers",
            "--exchange-uri",
            ex,
            "--periode",
            PERIODE,
            "--poll-seconds",
            "0.3",
            "--fault",
            "corrupt:axis",
        ],
        env=dict(os.environ),
    )
    try:
        deadline = dt.datetime.now(UTC) + dt.timedelta(seconds=20)
        result = validasi.EXCHANGE.run(period.with_(deadline=deadline), batch_rows=500, poll_seconds=0.3)
    finally:
        providers.terminate()
        providers.wait(timeout=30)
    (bad,) = result["quarantined"]
    assert bad.startswith(f"V-{PERIODE}-axis-") and "sha256 of the file" in result["quarantined"][bad]
    assert result["unanswered"] == [bad] and result["closed"]["closed_requests"] > 0
    ((axis_left,),) = query(
        dsn, "SELECT count(*) FROM kuota.penerima WHERE provider = 'axis' AND alasan = 'tanpa_respons_provider'"
    )
    assert axis_left > 0
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status IN ('siap_validasi', 'dikirim_validasi')") == [
        (0,)
    ]


def test_a_recipient_not_moved_by_its_answer_fails_the_load_and_changes_nothing(dsn, storage, screened, period):
    """The answer's load finds the recipients on its numbers, then updates each where it found
    it. One not updated (here a trigger skips it, as a row changed meanwhile would be) fails
    the load, which then changes nothing: the answer loads once the row moves again."""
    ex = screened["exchange"]
    batch = _send_all(period)[0]["batch_id"]
    ProviderSimulator(storage, ex, PERIODE).step()
    (msisdn,) = query(dsn, "SELECT min(msisdn) FROM kuota.permintaan WHERE batch_id = %s", (batch,))[0]
    query(
        dsn,
        """CREATE FUNCTION public.skip_update() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RETURN NULL; END $$;
           CREATE TRIGGER skip_one BEFORE UPDATE ON kuota.penerima FOR EACH ROW
           WHEN (OLD.msisdn = '"""
        + msisdn
        + """') EXECUTE FUNCTION public.skip_update(); SELECT 1""",
    )
    before = (_states(dsn), _ledger(dsn))
    with pytest.raises(RuntimeError, match=rf"answer to {batch}: \d+ recipients waited for it, \d+ were moved"):
        exchange.ingest_answer(period, batch)
    assert (_states(dsn), _ledger(dsn)) == before
    assert not exchange.answer_loaded(dsn, batch)

    query(dsn, "DROP TRIGGER skip_one ON kuota.penerima; SELECT 1")
    assert exchange.ingest_answer(period, batch)["outcome"] == "loaded"
    (waiting,) = query(
        dsn,
        "SELECT count(*) FROM kuota.penerima p JOIN kuota.permintaan r USING (periode, msisdn) "
        "WHERE r.batch_id = %s AND p.status = 'dikirim_validasi'",
        (batch,),
    )[0]
    assert waiting == 0
