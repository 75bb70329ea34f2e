"""SPTJM, decisions and injection on the real stack (domain.md flow 7-9; exchange.md §2-3): the
money rules are attacked in the database itself, then through retries, re-runs and bad files."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import _empty_bucket, new_database, query
from helpers import decide, pdf_text, portal_file, read_csv, sptjm_numbers

from kuota.bulanan import quality
from kuota.infra.errors import ContractError
from kuota.infra.pdf import angka
from kuota.partners import exchange, portal
from kuota.partners.contract import SPTJM_COLUMNS
from kuota.partners.layout import sptjm_uri
from kuota.periode import Period
from kuota.tahap import ekspor, injeksi, koreksi, rekonsiliasi, sptjm
from kuota_tools.simulator import Fault, ProviderSimulator

PERIODE = "2020-09"
UTC = dt.UTC


KOREKSI = ("jenis", "id", "nomor_hp", "kepemilikan_hp", "waktu_koreksi")


def _koreksi_per_school(dsn, storage, ex, prefix, rows) -> dict[str, str]:
    """The rows as the portal sends them: one file per school, its manifest naming the school
    (exchange.md §3). Returns id -> the file that carries it."""
    school = dict(
        query(
            dsn,
            "SELECT id::text, npsn FROM kuota.penerima WHERE periode = %s AND id::text = ANY(%s)",
            (PERIODE, [r[1] for r in rows]),
        )
    )
    files = {}
    for npsn in sorted(set(school.values())):
        mine = [r for r in rows if school[r[1]] == npsn]
        portal_file(storage, ex, "koreksi", f"{prefix}-{npsn}", KOREKSI, mine, npsn=npsn)
        files.update({r[1]: f"{prefix}-{npsn}.csv" for r in mine})
    return files


def _inject(period: Period, batch_rows=200) -> list[dict]:
    sent = []
    for provider in injeksi.EXCHANGE.providers(period):
        for batch in injeksi.EXCHANGE.plan(period, provider, batch_rows):
            sent.append(exchange.send_batch(period, batch["batch_id"]))
    return sent


def _ingest(period: Period, kind="injeksi") -> dict[str, str]:
    out = {}
    for batch in exchange.batches_of(period, kind):
        try:
            out[batch["batch_id"]] = exchange.ingest_answer(period, batch["batch_id"])["outcome"]
        except ContractError as err:
            out[batch["batch_id"]] = str(err)
    return out


def _money(dsn) -> list[tuple]:
    """What a provider is paid for: successful injections per recipient."""
    return query(
        dsn,
        "SELECT i.jenis, i.id, i.msisdn, i.paket_gb FROM kuota.injeksi i "
        "JOIN kuota.permintaan r USING (request_id) WHERE r.hasil = 'berhasil' ORDER BY 1, 2",
    )


@pytest.mark.heavy
def test_sptjm_written_province_by_province_are_the_bytes_one_process_writes(
    dsn, storage, validated, period, prebuilt, s3, template_db
):
    """The mapped write_sptjm (a task per province, two at once here, as two workers) and
    write_files in one process, each on its own copy of the same issued period."""
    issued = sptjm.issue(period.with_(tahap=1))
    provinces = sptjm.provinces(period)
    assert len(provinces) > 1 and "" not in provinces  # every SPTJM's school is in the cutoff
    other_bucket = f"kuota-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=other_bucket)
    try:
        with new_database("kuota_t", template_db) as other_dsn:
            prebuilt.clone(dsn.rsplit("/", 1)[1], validated.split("/")[2], other_dsn, other_bucket)
            other = Period(other_dsn, PERIODE, storage, f"s3://{other_bucket}/exchange", f"s3://{other_bucket}/out")
            assert sptjm.write_files(other)["written"] == issued["sptjm"]
            one_process = query(other_dsn, "SELECT sptjm_no, sha256 FROM kuota.sptjm ORDER BY 1")
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda p: sptjm.write_province(period, p), provinces))
        assert [d["provinsi"] for d in done] == provinces
        assert sum(d["written"] for d in done) == issued["sptjm"]
        assert query(dsn, "SELECT sptjm_no, sha256 FROM kuota.sptjm ORDER BY 1") == one_process
        assert all(sha256 for _, sha256 in one_process)
        ours, theirs = (
            {
                o["Key"]: s3.get_object(Bucket=name, Key=o["Key"])["Body"].read()
                for page in s3.get_paginator("list_objects_v2").paginate(
                    Bucket=name, Prefix=f"exchange/portal/{PERIODE}/sptjm/"
                )
                for o in page.get("Contents", [])
            }
            for name in (validated.split("/")[2], other_bucket)
        )
        assert ours == theirs and len(ours) == 3 * issued["sptjm"]  # CSV, PDF, manifest each
        # Written once: a province again, or the whole step, finds nothing left to write.
        assert sptjm.write_province(period, provinces[0])["written"] == 0
        assert sptjm.write_files(period)["written"] == 0
    finally:
        _empty_bucket(s3, other_bucket)


@pytest.mark.heavy
def test_sptjm_lists_each_school_valid_records_once_and_locks_them(dsn, storage, validated, period):
    ex = validated
    valid = query(
        dsn,
        "SELECT npsn, jenis, id::text, msisdn, provider, paket_gb FROM kuota.penerima "
        "WHERE status = 'valid' ORDER BY 1, 2, 3",
    )
    issued = sptjm.issue(period.with_(tahap=1))
    assert issued["records"] == len(valid) > 0 and issued["sptjm"] == len({v[0] for v in valid})
    assert sptjm.issue(period.with_(tahap=1))["sptjm"] == 0  # idempotent: nothing left to list
    assert sptjm.write_files(period)["written"] == issued["sptjm"]
    assert sptjm.write_files(period)["written"] == 0
    assert query(
        dsn,
        "SELECT DISTINCT status FROM kuota.penerima WHERE (jenis, id::text) IN "
        "(SELECT jenis, id::text FROM kuota.sptjm_penerima)",
    ) == [("sptjm_dicetak",)]
    listed = []
    for no in sptjm_numbers(dsn):
        npsn = no.split("-")[3]
        assert re.fullmatch(rf"SPTJM-{PERIODE}-[0-9]{{8}}-1", no)
        rows = read_csv(storage, sptjm_uri(ex, PERIODE, npsn, no))
        assert tuple(rows[0]) == SPTJM_COLUMNS
        listed += [(npsn, j, i, m, p, int(g)) for j, i, _nama, m, p, g in rows[1:]]
        manifest = __import__("json").loads(storage.read_bytes(sptjm_uri(ex, PERIODE, npsn, no, "manifest.json")))
        assert manifest["rows"] == len(rows) - 1 and manifest["sptjm_no"] == no and manifest["npsn"] == npsn
        pdf = storage.read_bytes(sptjm_uri(ex, PERIODE, npsn, no, "pdf"))
        assert __import__("hashlib").sha256(pdf).hexdigest() == manifest["pdf"]["sha256"]
        text = pdf_text(pdf)
        assert no in text and f"Jumlah: {angka(len(rows) - 1)} penerima, {angka(manifest['paket_gb'])} GB" in text
        assert [
            r for r in rows[1:] if not (" ".join(r[2].split()) in text and r[3] in text)
        ] == []  # every name in full, its number
        assert "Meterai Rp 6.000" in text and "Kepala Sekolah," in text and "halaman 1 / " in text
    assert sorted(listed) == valid

    # A locked number never changes, nor does the SPTJM or its list; nothing is deleted.
    ((jenis, rid),) = query(dsn, "SELECT jenis, id FROM kuota.sptjm_penerima ORDER BY id LIMIT 1")
    for statement in (
        "UPDATE kuota.penerima SET msisdn = '6281200000000' WHERE jenis = %s AND id = %s",
        "UPDATE kuota.penerima SET paket_gb = paket_gb + 1 WHERE jenis = %s AND id = %s",
        "DELETE FROM kuota.penerima WHERE jenis = %s AND id = %s",
    ):
        with pytest.raises(Exception, match="is locked for the period"):
            query(dsn, statement, (jenis, rid))
    with pytest.raises(Exception, match="only a rejection of the SPTJM releases it"):
        query(dsn, "UPDATE kuota.sptjm_penerima SET ditolak = true WHERE id = %s", (rid,))
    with pytest.raises(Exception, match="only a rejection of the SPTJM releases it"):
        query(dsn, "UPDATE kuota.sptjm_penerima SET msisdn = '6281200000000' WHERE id = %s", (rid,))
    with pytest.raises(Exception, match="it is immutable"):
        query(dsn, "UPDATE kuota.sptjm SET baris = baris + 1")
    for table in ("kuota.sptjm", "kuota.sptjm_penerima"):
        with pytest.raises(Exception, match="is immutable"):
            query(dsn, f"DELETE FROM {table}")
    # A record is on one standing SPTJM at a time.
    with pytest.raises(Exception, match="sptjm_penerima_sekali"):
        query(
            dsn,
            "INSERT INTO kuota.sptjm_penerima (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb) "
            "SELECT s.sptjm_no, s.periode, s.jenis, s.id, s.msisdn, s.provider, s.paket_gb "
            "FROM kuota.sptjm_penerima sp JOIN kuota.sptjm s2 ON s2.sptjm_no <> sp.sptjm_no "
            "CROSS JOIN LATERAL (SELECT s2.sptjm_no, sp.periode, sp.jenis, sp.id, sp.msisdn, sp.provider, "
            "sp.paket_gb) s LIMIT 1",
        )


@pytest.mark.heavy
def test_decisions_approve_reject_and_are_final(dsn, storage, approved, period):
    ex, rejected = approved["exchange"], approved["rejected"]
    states = dict(query(dsn, "SELECT k.sptjm_no, k.keputusan FROM kuota.sptjm k"))
    assert states[rejected] == "ditolak" and {states[n] for n in approved["approved"]} == {"disetujui"}
    assert query(
        dsn,
        "SELECT DISTINCT p.status, coalesce(p.alasan, '') FROM kuota.penerima p JOIN kuota.sptjm_penerima s "
        "USING (periode, jenis, id) WHERE s.sptjm_no = %s",
        (rejected,),
    ) == [("residu", "sptjm_ditolak")]
    assert query(
        dsn,
        "SELECT DISTINCT p.status FROM kuota.penerima p JOIN kuota.sptjm_penerima s "
        "USING (periode, jenis, id) WHERE s.sptjm_no <> %s",
        (rejected,),
    ) == [("sptjm_disetujui",)]
    # The same file again is ignored; a decision contrary to one taken quarantines the file whole.
    assert sptjm.ingest_decisions(period.with_(tahap=1))["loaded"] == 0
    decide(storage, ex, "keputusan-2", {approved["approved"][0]: "disetujui", approved["approved"][1]: "ditolak"})
    result = sptjm.ingest_decisions(period.with_(tahap=1))
    (error,) = result["quarantined"]
    assert "keputusan-2.csv" in error and re.search(
        rf"line 3 \(sptjm_no '{approved['approved'][1]}'.*\): the SPTJM "
        r"was disetujui already .*a decision is final",
        error,
    ), error
    assert not storage.exists(f"{ex}/portal/{PERIODE}/persetujuan/keputusan-2.manifest.json")
    assert any(n.endswith(".error.txt") for n in storage.list_names(f"{ex}/karantina/portal/{PERIODE}/persetujuan"))
    assert dict(query(dsn, "SELECT k.sptjm_no, k.keputusan FROM kuota.sptjm k")) == states
    with pytest.raises(Exception, match="a decision is final"):
        query(dsn, "UPDATE kuota.sptjm SET keputusan = 'ditolak' WHERE sptjm_no = %s", (approved["approved"][0],))
    # Bad rows: an unknown SPTJM, another school's, a bad decision and time; nothing applied.
    other = approved["approved"][2]
    portal_file(
        storage,
        ex,
        "persetujuan",
        "keputusan-3",
        ("sptjm_no", "npsn", "keputusan", "waktu"),
        [
            (f"SPTJM-{PERIODE}-99999999-1", "99999999", "disetujui", "2020-09-20T10:00:00+07:00"),
            (other, "00000000", "disetujui", "2020-09-20T10:00:00+07:00"),
            (other, other.split("-")[3], "ok", "2020-09-20T10:00:00+07:00"),
            (other, other.split("-")[3], "disetujui", "kemarin"),
        ],
    )
    (error,) = sptjm.ingest_decisions(period.with_(tahap=1))["quarantined"]
    for rule in (
        "line 2 .*no SPTJM of this number was issued",
        "line 3 .*npsn is not the school of this SPTJM",
        "line 4 .*keputusan is not disetujui or ditolak",
        "line 5 .*waktu is not an ISO 8601",
    ):
        assert re.search(rule, error), (rule, error)


def test_no_injection_without_an_approved_sptjm_the_database_refuses(dsn, storage, validated, period):
    sptjm.issue(period.with_(tahap=1))
    ((no, jenis, rid, msisdn, provider, paket),) = query(
        dsn, "SELECT sptjm_no, jenis, id, msisdn, provider, paket_gb FROM kuota.sptjm_penerima ORDER BY id LIMIT 1"
    )
    # The code's own path plans nothing before a decision...
    assert exchange.plan(period, provider, "injeksi") == []
    # ... and the database refuses a hand-made request.
    query(
        dsn,
        "INSERT INTO kuota.batch (batch_id, periode, provider, jenis, urutan, tahap, baris) "
        "VALUES ('I-x', %s, %s, 'injeksi', 99, 1, 1)",
        (PERIODE, provider),
    )
    ledger = (
        "INSERT INTO kuota.injeksi (request_id, batch_id, periode, jenis, id, sptjm_no, msisdn, provider, paket_gb) "
        "VALUES ('I-x-1', 'I-x', %s, %s, %s, %s, %s, %s, %s)"
    )
    request = (
        "INSERT INTO kuota.permintaan (request_id, batch_id, periode, jenis, msisdn, paket_gb) "
        "VALUES ('I-x-1', 'I-x', %s, 'injeksi', %s, %s)"
    )
    # The SPTJM is printed, not approved: no ledger row, so no request can leave.
    with pytest.raises(Exception, match="injeksi_sptjm_no_keputusan_fkey"):
        query(dsn, ledger, (PERIODE, jenis, rid, no, msisdn, provider, paket))
    with pytest.raises(Exception, match="permintaan_injeksi_di_ledger"):
        query(dsn, request, (PERIODE, msisdn, paket))
    # Rejected: still refused. (Decisions go through the table's final-once rule.)
    query(dsn, "UPDATE kuota.sptjm SET keputusan = 'ditolak', diputuskan_at = now() WHERE sptjm_no = %s", (no,))
    with pytest.raises(Exception, match="injeksi_sptjm_no_keputusan_fkey"):
        query(dsn, ledger, (PERIODE, jenis, rid, no, msisdn, provider, paket))
    # Approved, but another number or package than the SPTJM locked: refused.
    ((no2, jenis2, rid2, msisdn2, provider2, paket2),) = query(
        dsn,
        "SELECT sptjm_no, jenis, id, msisdn, provider, paket_gb FROM kuota.sptjm_penerima "
        "WHERE sptjm_no <> %s AND provider = %s ORDER BY id LIMIT 1",
        (no, provider),
    )
    query(dsn, "UPDATE kuota.sptjm SET keputusan = 'disetujui', diputuskan_at = now() WHERE sptjm_no = %s", (no2,))
    for bad in ((msisdn2[:-1] + str((int(msisdn2[-1]) + 1) % 10), paket2), (msisdn2, paket2 + 1)):
        with pytest.raises(Exception, match="injeksi_sptjm_no_periode_jenis_id_msisdn_provider_paket_gb_fkey"):
            query(dsn, ledger, (PERIODE, jenis2, rid2, no2, bad[0], provider2, bad[1]))
    # Approved and as locked: accepted, once; a second request for the recipient is refused.
    query(
        dsn, ledger + "; " + request, (PERIODE, jenis2, rid2, no2, msisdn2, provider2, paket2, PERIODE, msisdn2, paket2)
    )
    with pytest.raises(Exception, match="injeksi_sekali_per_periode"):
        query(
            dsn,
            ledger.replace("I-x-1", "I-x-2") + "; " + request.replace("I-x-1", "I-x-2"),
            (PERIODE, jenis2, rid2, no2, msisdn2, provider2, paket2, PERIODE, msisdn2, paket2),
        )
    # A ledger row without its request does not commit; the ledger never changes.
    ((jenis3, rid3, msisdn3, paket3),) = query(
        dsn,
        "SELECT jenis, id, msisdn, paket_gb FROM kuota.sptjm_penerima WHERE sptjm_no = %s AND id <> %s "
        "AND provider = %s ORDER BY id LIMIT 1",
        (no2, rid2, provider2),
    )
    with pytest.raises(Exception, match="injeksi_dikirim"):
        query(dsn, ledger.replace("I-x-1", "I-x-3"), (PERIODE, jenis3, rid3, no2, msisdn3, provider2, paket3))
    for statement in ("UPDATE kuota.injeksi SET paket_gb = paket_gb + 1", "DELETE FROM kuota.injeksi"):
        with pytest.raises(Exception, match="is immutable"):
            query(dsn, statement)


@pytest.mark.heavy
def test_injection_goes_once_per_recipient_whatever_is_retried_or_rerun(dsn, storage, approved, period):
    ex = approved["exchange"]
    approved_records = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'sptjm_disetujui'")[0][0]
    sent = _inject(period)
    assert sum(s["rows"] for s in sent) == approved_records > 0
    for s in sent:  # one row per recipient package: request_id, msisdn, paket_gb, nothing else
        rows = read_csv(storage, s["uri"])
        assert rows[0] == ["request_id", "msisdn", "paket_gb"] and all(len(r) == 3 for r in rows[1:])
    # Planned again, re-sent (a retried or cleared task): the same batches, the same bytes.
    again = _inject(period)
    assert [(a["batch_id"], a["sha256"]) for a in again] == [(s["batch_id"], s["sha256"]) for s in sent]
    assert {a["outcome"] for a in again} == {"in_place"}  # a retry does not ask the provider again
    sim = ProviderSimulator(
        storage,
        ex,
        PERIODE,
        faults=[Fault("duplicate", "telkomsel", 1, "injeksi"), Fault("repeated_row", "telkomsel", 1, "injeksi")],
    )
    sim.step()
    outcome = _ingest(period)
    assert set(outcome.values()) == {"loaded"}, outcome
    paid = _money(dsn)
    assert len(paid) == len({(j, i) for j, i, _, _ in paid})  # once per recipient
    ((anomalies,),) = query(dsn, "SELECT count(*) FROM kuota.anomali_provider")
    assert anomalies == 1  # the repeated berhasil row: recorded, counted once
    states = query(dsn, "SELECT jenis, id, status, alasan FROM kuota.penerima ORDER BY 1, 2")
    # The duplicated answer lands again: ignored. Everything re-run: nothing changes.
    assert [e["batch_id"] for e in sim.step()] and set(_ingest(period).values()) == {"duplicate_ignored"}
    assert [{k: v for k, v in a.items() if k not in ("outcome", "why")} for a in _inject(period)] == [
        {k: v for k, v in a.items() if k != "outcome"} for a in again
    ]
    assert {a["outcome"] for a in _inject(period)} == {"answered"}  # never asked again once answered
    assert (
        _money(dsn) == paid
        and query(dsn, "SELECT jenis, id, status, alasan FROM kuota.penerima ORDER BY 1, 2") == states
    )
    # Failures are residu injeksi_gagal with the provider's reason, never asked again.
    failed = query(dsn, "SELECT r.alasan FROM kuota.permintaan r WHERE r.hasil = 'gagal'")
    assert failed and all(a for (a,) in failed)
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE alasan = 'injeksi_gagal'") == [(len(failed),)]
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'berhasil'") == [(len(paid),)]


@pytest.mark.heavy
def test_a_changed_injection_answer_is_quarantined_and_its_repeated_berhasil_reported(dsn, storage, approved, period):
    ex = approved["exchange"]
    sent = _inject(period)
    target = next(s for s in sent if s["provider"] == "telkomsel")
    sim = ProviderSimulator(storage, ex, PERIODE, faults=[Fault("changed", "telkomsel", 1, "injeksi")])
    sim.step()
    assert set(_ingest(period).values()) == {"loaded"}
    paid = _money(dsn)
    sim.step()  # the provider writes a different answer for the same batch
    with pytest.raises(
        ContractError, match=r"the first answer's outcome stands; .*; \d+ of its rows report berhasil again"
    ):
        exchange.ingest_answer(period, target["batch_id"])
    ((n,),) = query(dsn, "SELECT count(*) FROM kuota.anomali_provider WHERE batch_id = %s", (target["batch_id"],))
    assert n > 0 and _money(dsn) == paid


@pytest.mark.heavy
def test_a_bad_injection_answer_is_quarantined_and_the_redo_pays_once(dsn, storage, approved, period):
    ex = approved["exchange"]
    sent = _inject(period)
    bad = next(s for s in sent if s["provider"] == "xl")
    sim = ProviderSimulator(storage, ex, PERIODE, faults=[Fault("missing_rows", "xl", 1, "injeksi")])
    sim.step()
    outcome = _ingest(period)
    assert "requests are not answered" in outcome.pop(bad["batch_id"]) and set(outcome.values()) == {"loaded"}
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.penerima p JOIN kuota.injeksi i USING (periode, jenis, id) "
        "WHERE i.batch_id = %s AND p.status = 'dikirim_injeksi'",
        (bad["batch_id"],),
    ) == [(bad["rows"],)]
    assert exchange.send_batch(period, bad["batch_id"])["sha256"] == bad["sha256"]
    sim.batches[bad["batch_id"]].sent_at -= 2
    sim.step()
    assert exchange.ingest_answer(period, bad["batch_id"])["outcome"] == "loaded"
    paid = _money(dsn)
    assert len(paid) == len({(j, i) for j, i, _, _ in paid})
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'dikirim_injeksi'") == [(0,)]


@pytest.mark.heavy
def test_a_recipient_not_moved_by_its_injection_answer_fails_the_load_and_changes_nothing(
    dsn, storage, approved, period
):
    """The injection answer's load finds each recipient of the batch's ledger by its key, then
    updates it where found. One not updated (a trigger skips it, as a row changed meanwhile
    would be) fails the load, which changes nothing: nobody is paid for half an answer."""
    batch = _inject(period)[0]["batch_id"]
    ProviderSimulator(storage, approved["exchange"], PERIODE).step()
    (skipped,) = query(dsn, "SELECT id::text FROM kuota.injeksi WHERE batch_id = %s ORDER BY id LIMIT 1", (batch,))[0]
    query(
        dsn,
        """CREATE FUNCTION public.skip_update() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RETURN NULL; END $$;
           CREATE TRIGGER skip_one BEFORE UPDATE ON kuota.penerima FOR EACH ROW
           WHEN (OLD.id::text = '"""
        + skipped
        + """') EXECUTE FUNCTION public.skip_update(); SELECT 1""",
    )
    states = "SELECT jenis, id, status, coalesce(alasan, '') FROM kuota.penerima ORDER BY 1, 2"
    answers = "SELECT request_id, hasil FROM kuota.permintaan ORDER BY 1"
    before = (query(dsn, states), query(dsn, answers))
    with pytest.raises(RuntimeError, match=rf"answer to {batch}: \d+ recipients waited for it, \d+ were moved"):
        exchange.ingest_answer(period, batch)
    assert (query(dsn, states), query(dsn, answers)) == before
    assert not exchange.answer_loaded(dsn, batch)

    query(dsn, "DROP TRIGGER skip_one ON kuota.penerima; DROP FUNCTION public.skip_update(); SELECT 1")
    assert exchange.ingest_answer(period, batch)["outcome"] == "loaded"
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.penerima p JOIN kuota.injeksi i USING (periode, jenis, id) "
        "WHERE i.batch_id = %s AND p.status = 'dikirim_injeksi'",
        (batch,),
    ) == [(0,)]


@pytest.mark.heavy
def test_unanswered_injections_end_as_tanpa_respons_and_are_not_asked_again(dsn, storage, approved, period):
    ex = approved["exchange"]
    sent = _inject(period)
    silent = next(s for s in sent if s["provider"] == "indosat")
    ProviderSimulator(storage, ex, PERIODE, faults=[Fault("no_answer", "indosat", 1, "injeksi")]).step()
    _ingest(period)
    now = dt.datetime.now(UTC)
    closed = exchange.close_unanswered(period.with_(deadline=now), now=now)
    assert closed["closed_requests"] == silent["rows"] == closed["residu"]
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.penerima WHERE alasan = 'tanpa_respons_provider' "
        "AND (jenis, id) IN (SELECT jenis, id FROM kuota.injeksi WHERE batch_id = %s)",
        (silent["batch_id"],),
    ) == [(silent["rows"],)]
    # Nothing new: no second injection in the period, and nothing re-sent (closed or answered).
    assert [(a["batch_id"], a["outcome"]) for a in _inject(period)] == [
        (s["batch_id"], "closed" if s is silent else "answered") for s in sent
    ]


@pytest.mark.heavy
def test_corrections_re_enter_validation_in_the_next_stage_and_locked_ones_are_refused(
    dsn, storage, approved, caplog, period
):
    ex, rejected = approved["exchange"], approved["rejected"]
    fixable = query(
        dsn,
        "SELECT jenis, id::text FROM kuota.penerima WHERE alasan IN ('nomor_tidak_aktif', "
        "'nomor_kosong') ORDER BY id LIMIT 3",
    )
    ((k2,),) = query(dsn, "SELECT id::text FROM kuota.penerima WHERE alasan = 'nisn_ganda' ORDER BY id LIMIT 1")
    ((locked,),) = query(
        dsn,
        "SELECT id::text FROM kuota.sptjm_penerima WHERE sptjm_no <> %s AND jenis = 'pd' ORDER BY id LIMIT 1",
        (rejected,),
    )
    ((released,),) = query(
        dsn,
        "SELECT id::text FROM kuota.sptjm_penerima WHERE sptjm_no = %s AND jenis = 'pd' ORDER BY id LIMIT 1",
        (rejected,),
    )
    locked_before = query(dsn, "SELECT msisdn, status FROM kuota.penerima WHERE id = %s", (locked,))
    at = "2020-09-21T09:00:00+07:00"
    rows = [(j, i, f"0812-7777-{n:04d}", "orang_tua", at) for n, (j, i) in enumerate(fixable)]
    rows += [
        ("pd", k2, "081277779999", "sendiri", at),
        ("pd", locked, "081277778888", "sendiri", at),
        ("pd", released, "+62 857 7777 6666", "wali", at),
        (fixable[0][0], fixable[0][1], "0812", "sendiri", "2020-09-21T08:00:00+07:00"),
    ]
    files = _koreksi_per_school(dsn, storage, ex, "sekolah-a", rows)
    result = portal.ingest(period.with_(tahap=2), "koreksi")
    assert result["loaded"] == len(set(files.values())) and not result["quarantined"], result
    applied = {
        (i, w): (h, p)
        for i, w, h, p in query(dsn, "SELECT id::text, waktu_koreksi, hasil, coalesce(pesan, '') FROM kuota.koreksi")
    }
    assert [applied[i, dt.datetime.fromisoformat(w)][0] for _, i, _, _, w in rows] == ["diterapkan"] * 3 + [
        "ditolak",
        "ditolak",
        "diterapkan",
        "ditolak",
    ]
    assert "not fixed by a number" in applied[k2, dt.datetime.fromisoformat(at)][1]
    assert "is locked for the period" in applied[locked, dt.datetime.fromisoformat(at)][1]
    assert "later correction of the same record" in applied[fixable[0][1], dt.datetime.fromisoformat(rows[-1][4])][1]
    # Each refusal is reported in the task log with its file, line and why (ids only, no names).
    assert re.search(
        rf"{re.escape(files[locked])} line \d+ \(pd {locked}\): correction refused: the record is on "
        rf"SPTJM-",
        caplog.text,
    )
    ready = query(
        dsn,
        "SELECT id::text, status, msisdn, tahap FROM kuota.penerima WHERE id::text = ANY(%s) ORDER BY id",
        ([i for _, i in fixable] + [released],),
    )
    assert {(s, t) for _, s, _, t in ready} == {("siap_validasi", 2)}
    assert ("6285777776666" in {m for _, _, m, _ in ready}) and ("6281277770000" in {m for _, _, m, _ in ready})
    assert query(dsn, "SELECT msisdn, status FROM kuota.penerima WHERE id = %s", (locked,)) == locked_before
    # The corrected numbers go to validation in stage 2, in a new batch.
    new = [
        b
        for p in exchange.providers_to(period, "validasi")
        for b in exchange.plan(period.with_(tahap=2), p, "validasi", 500)
    ]
    ((stage2,),) = query(dsn, "SELECT count(*) FROM kuota.batch WHERE jenis = 'validasi' AND tahap = 2")
    assert stage2 >= 1 and sum(b["rows"] for b in new) > 0
    # A broken corrections file is quarantined whole, naming the line and the rule.
    ((npsn,),) = query(dsn, "SELECT npsn FROM kuota.penerima WHERE id = %s", (fixable[0][1],))
    portal_file(
        storage,
        ex,
        "koreksi",
        "sekolah-b",
        KOREKSI,
        [
            ("guru", fixable[0][1], "0812", "sendiri", at),
            ("pd", "abc", "0812", "sendiri", at),
            ("pd", fixable[0][1], "0812", "tetangga", at),
        ],
        npsn=npsn,
    )
    (error,) = portal.ingest(period.with_(tahap=2), "koreksi")["quarantined"]
    for rule in ("line 2 .*jenis is not pd or ptk", "line 3 .*id is not a uuid", "line 4 .*kepemilikan_hp is not"):
        assert re.search(rule, error), (rule, error)
    assert query(dsn, "SELECT count(*) FROM kuota.koreksi") == [(len(rows),)]


def test_nothing_new_is_asked_of_a_provider_after_the_deadline(dsn, storage, approved, period):
    past = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
    for provider in exchange.providers_to(period, "injeksi"):
        assert exchange.plan(period.with_(deadline=past), provider, "injeksi", 200) == []
    assert query(dsn, "SELECT count(*) FROM kuota.batch WHERE jenis = 'injeksi'") == [(0,)]
    assert query(dsn, "SELECT count(*) FROM kuota.penerima WHERE status = 'sptjm_disetujui'")[0][0] > 0
    # Batches planned before the deadline are still listed (a re-run maps the same ones).
    future = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    sent = {
        b["batch_id"]
        for p in exchange.providers_to(period, "injeksi")
        for b in exchange.plan(period.with_(deadline=future), p, "injeksi", 200)
    }
    assert (
        sent
        and {
            b["batch_id"]
            for p in exchange.providers_to(period, "injeksi")
            for b in exchange.plan(period.with_(deadline=past), p, "injeksi", 200)
        }
        == sent
    )


@pytest.mark.heavy
def test_the_period_export_and_bast_agree_with_the_ledger_and_are_stable(dsn, storage, approved, period):
    ex = approved["exchange"]
    out = ex.replace("/exchange", "/output")
    _inject(period)
    ProviderSimulator(storage, ex, PERIODE).step()
    _ingest(period)
    first = ekspor.write_export(period, final=True)
    assert first["final"] is True  # nothing is open
    data = storage.read_bytes(f"{out}/{PERIODE}/status_penerima.csv.gz")
    stamp = storage.modified_at(f"{out}/{PERIODE}/status_penerima.manifest.json")
    rows = read_csv(storage, f"{out}/{PERIODE}/status_penerima.csv.gz")
    assert rows[0] == list(ekspor.STATUS_COLUMNS) and len(rows) - 1 == first["records"]
    assert sorted((r[0], r[1], r[5], r[6], r[7]) for r in rows[1:]) == sorted(
        query(
            dsn,
            "SELECT p.jenis, p.id::text, p.status, coalesce(p.alasan, ''), coalesce(s.sptjm_no, '') "
            "FROM kuota.penerima p LEFT JOIN kuota.sptjm_penerima s USING (periode, jenis, id)",
        )
    )
    rekap = read_csv(storage, f"{out}/{PERIODE}/rekap.csv")
    assert rekap[0] == list(ekspor.REKAP_COLUMNS) and sum(int(r[5]) for r in rekap[1:]) == first["records"]
    # Unchanged period: the same bytes, nothing rewritten.
    assert ekspor.write_export(period, final=True) == first
    assert storage.read_bytes(f"{out}/{PERIODE}/status_penerima.csv.gz") == data
    assert storage.modified_at(f"{out}/{PERIODE}/status_penerima.manifest.json") == stamp
    # The BAST pays the berhasil packages of the ledger, per provider.
    bast = ekspor.write_bast(period)["providers"]
    for provider, paid in bast.items():
        assert [(paid["paket"], paid["gb"])] == [
            tuple(map(int, r))
            for r in query(
                dsn,
                "SELECT count(*), coalesce(sum(i.paket_gb), 0) FROM kuota.injeksi i JOIN kuota.permintaan r "
                "USING (request_id) WHERE r.hasil = 'berhasil' AND i.provider = %s",
                (provider,),
            )
        ]
        text = pdf_text(storage.read_bytes(f"{out}/{PERIODE}/bast/{provider}.pdf"))
        assert "BERITA ACARA SERAH TERIMA" in text
        assert f"Dibayar: {angka(paid['paket'])} paket, {angka(paid['gb'])} GB" in text


def test_corrections_after_the_deadline_wait_unconsumed(dsn, storage, validated, period):
    ex = validated
    ((jenis, rid, npsn),) = query(
        dsn, "SELECT jenis, id::text, npsn FROM kuota.penerima WHERE alasan = 'nomor_tidak_aktif' ORDER BY id LIMIT 1"
    )
    portal_file(
        storage,
        ex,
        "koreksi",
        "sekolah-late",
        KOREKSI,
        [(jenis, rid, "0812-7777-1234", "sendiri", "2020-09-30T23:00:00+07:00")],
        npsn=npsn,
    )
    past, future = dt.datetime.now(UTC) - dt.timedelta(seconds=1), dt.datetime.now(UTC) + dt.timedelta(hours=1)
    late = koreksi.ingest_corrections(period.with_(tahap=3, deadline=past))
    assert (late["loaded"], late["after_deadline"]) == (0, 1)
    assert query(dsn, "SELECT count(*) FROM kuota.koreksi") == [(0,)]
    assert storage.exists(f"{ex}/portal/{PERIODE}/koreksi/sekolah-late.manifest.json")
    assert koreksi.ingest_corrections(period.with_(tahap=2, deadline=future))["loaded"] == 1
    assert query(dsn, "SELECT status, tahap FROM kuota.penerima WHERE id = %s", (rid,)) == [("siap_validasi", 2)]


@pytest.mark.heavy
def test_the_reconciliation_suite_catches_a_recipient_that_disagrees_with_the_ledger(dsn, storage, approved, period):
    ex = approved["exchange"]
    _inject(period)
    ProviderSimulator(storage, ex, PERIODE).step()
    _ingest(period)
    assert rekonsiliasi.check_reconciliation(period)["failed"] == 0
    # A recipient marked berhasil that the provider failed: the suite names what disagrees.
    ((rid,),) = query(
        dsn,
        "SELECT i.id FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id) "
        "WHERE r.hasil = 'gagal' ORDER BY i.id LIMIT 1",
    )
    query(dsn, "UPDATE kuota.penerima SET status = 'berhasil', alasan = NULL WHERE id = %s", (rid,))
    with pytest.raises(quality.QualityError, match=r"berhasil_tanpa_ledger.*|rekonsiliasi.*penerima_berhasil") as err:
        rekonsiliasi.check_reconciliation(period)
    assert "berhasil_tanpa_ledger" in str(err.value) and "penerima_berhasil" in str(err.value)
