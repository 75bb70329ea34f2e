"""Attacks on the exchange as an outsider would make them (a partner file is checked whole,
always), each against the real PostgreSQL and S3: odd bytes in a partner's file, an answer
overwritten after it was loaded, a re-send of an answered batch, two runs of a period at once."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import threading

import pytest
from conftest import query
from helpers import portal_file
from test_exchange import _ingest_all, _ledger, _send_all, _states
from test_sptjm_injeksi import _ingest, _inject, _money

from kuota.infra import db
from kuota.infra.errors import ContractError
from kuota.infra.storage import basename
from kuota.partners import exchange, portal
from kuota.partners.layout import answer_uri
from kuota.partners.manifest import file_manifest, manifest_uri, now_iso
from kuota.periode import Period
from kuota.tahap import sptjm
from kuota_tools.simulator import Fault, ProviderSimulator

pytestmark = pytest.mark.heavy
PERIODE = "2020-09"
UTC = dt.UTC


def _rewrite_answer(storage, ex, batch: dict, edit, rows_in_manifest=None) -> str:
    """Replace a provider's answer by ``edit(text)`` (manifest agreeing with the new bytes; its
    row count as given, else the answer's). Returns the new data's sha256."""
    uri = answer_uri(ex, batch["provider"], PERIODE, "validasi", batch["batch_id"])
    manifest = json.loads(storage.read_bytes(manifest_uri(uri)))
    data = gzip.compress(edit(gzip.decompress(storage.read_bytes(uri))), mtime=0)
    storage.write_bytes(uri, data)
    fields = {k: manifest[k] for k in ("provider", "periode", "kind", "batch_id")}
    storage.write_bytes(
        manifest_uri(uri),
        file_manifest(
            basename(uri), data, manifest["rows"] if rows_in_manifest is None else rows_in_manifest, now_iso(), **fields
        ),
    )
    return json.loads(storage.read_bytes(manifest_uri(uri)))["sha256"]


def _answered(period: Period, faults=()) -> tuple[list[dict], ProviderSimulator]:
    sent = _send_all(period)
    sim = ProviderSimulator(period.files(), period.exchange(), PERIODE, faults=list(faults))
    sim.step()
    return sent, sim


# -- 1. odd bytes ----------------------------------------------------------------------------


def test_a_lone_backslash_dot_line_never_cuts_an_answer_short(dsn, storage, screened, period):
    """COPY takes a line holding only \\. as the end of data: rows after it would go unchecked
    while the file counts as loaded. Here the rows before it are the whole, valid answer (the
    manifest counts them) and foreign rows follow: the file is quarantined whole."""
    ex = screened["exchange"]
    sent, _ = _answered(period)
    target = next(s for s in sent if s["provider"] == "xl")
    _rewrite_answer(storage, ex, target, lambda text: text + b"\\.\nXX-foreign-1,6281111111111,aktif\n")
    outcome = _ingest_all(period)
    error = outcome.pop(target["batch_id"])
    assert set(outcome.values()) == {"loaded"}
    assert re.search(rf"{target['batch_id']}.*line {target['rows'] + 2}: 1 fields, the contract has 3", error), error
    assert query(
        dsn, "SELECT count(*) FROM kuota.permintaan WHERE batch_id = %s AND hasil IS NOT NULL", (target["batch_id"],)
    ) == [(0,)]
    assert query(dsn, "SELECT hasil FROM kuota.jawaban WHERE batch_id = %s", (target["batch_id"],)) == [
        ("dikarantina",)
    ]


def _on_line(number: int, extra: bytes):
    """An edit that puts ``extra`` at the end of one line of the file (1 = the header)."""

    def edit(text: bytes) -> bytes:
        lines = text.split(b"\n")
        lines[number - 1] += extra
        return b"\n".join(lines)

    return edit


@pytest.mark.parametrize(
    "attack, rule",
    [
        (_on_line(3, b"\x00"), r"line 3: a NUL byte \(0x00\) at column \d+"),
        (_on_line(4, b"\xe9"), r"line 4: byte 0xe9 at column \d+ is not UTF-8"),
        (lambda text: text + b'"6281,unterminated\n', r"line \d+: not RFC 4180 CSV"),
        (lambda text: text + b"\n", r"line \d+: 0 fields, the contract has 3"),
    ],
)
def test_odd_bytes_in_an_answer_name_the_line_and_quarantine_it_whole(dsn, storage, screened, attack, rule, period):
    ex = screened["exchange"]
    sent, _ = _answered(period)
    target = next(s for s in sent if s["provider"] == "telkomsel")
    _rewrite_answer(storage, ex, target, attack)
    with pytest.raises(ContractError, match=rule):
        exchange.ingest_answer(period, target["batch_id"])
    assert query(
        dsn, "SELECT count(*) FROM kuota.permintaan WHERE batch_id = %s AND hasil IS NOT NULL", (target["batch_id"],)
    ) == [(0,)]


def test_crlf_line_ends_load_the_same_as_lf(dsn, storage, screened, period):
    """RFC 4180 ends lines with CRLF: a provider that does so is read row for row the same."""
    ex = screened["exchange"]
    sent, _ = _answered(period)
    target = next(s for s in sent if s["provider"] == "telkomsel")
    _rewrite_answer(storage, ex, target, lambda text: text.replace(b"\n", b"\r\n"))
    assert set(_ingest_all(period).values()) == {"loaded"}
    assert query(
        dsn, "SELECT count(*) FROM kuota.permintaan WHERE batch_id = %s AND hasil IS NOT NULL", (target["batch_id"],)
    ) == [(target["rows"],)]
    assert query(dsn, "SELECT count(*) FROM kuota.permintaan WHERE hasil LIKE %s", ("%\r%",)) == [(0,)]


def test_a_lone_backslash_dot_line_never_cuts_a_correction_file_short(dsn, storage, validated, period):
    """The rows before the \\. line are valid corrections; the one after it would change another
    record: the file is quarantined whole and no correction is applied."""
    ex = validated
    residu = query(
        dsn,
        "SELECT p.jenis, p.id, s.npsn FROM kuota.penerima p "
        "JOIN snapshot.sekolah s ON s.sekolah_id = p.sekolah_id "
        "WHERE p.alasan = 'nomor_tidak_valid' ORDER BY p.id LIMIT 3",
    )
    assert len(residu) == 3
    npsn = residu[0][2]
    header = ("jenis", "id", "nomor_hp", "kepemilikan_hp", "waktu_koreksi")
    rows = [
        (j, str(i), f"08121234{n:04d}", "sendiri", "2020-09-14T10:00:00+07:00") for n, (j, i, _) in enumerate(residu)
    ]
    before = _states(dsn)
    folder = f"{ex}/portal/{PERIODE}/koreksi"
    lines = [",".join(header)] + [",".join(r) for r in rows[:2]] + ["\\."] + [",".join(rows[2])]
    data = ("\n".join(lines) + "\n").encode()
    storage.write_bytes(f"{folder}/koreksi-dot.csv", data)
    storage.write_bytes(
        f"{folder}/koreksi-dot.manifest.json", file_manifest("koreksi-dot.csv", data, 2, now_iso(), npsn=npsn)
    )
    result = portal.ingest(period.with_(tahap=2), "koreksi")
    assert result["loaded"] == 0 and len(result["quarantined"]) == 1, result
    assert re.search(r"koreksi-dot\.csv .*line 4: 1 fields, the contract has 5", result["quarantined"][0])
    assert _states(dsn) == before
    assert query(dsn, "SELECT count(*) FROM kuota.koreksi") == [(0,)]


def test_the_same_answer_quarantined_for_its_manifest_loads_with_a_good_one(dsn, storage, screened, period):
    """Bytes quarantined only because their manifest was wrong come back with a right one: they
    load (the quarantine's record does not stand in the way as a raw key violation)."""
    ex = screened["exchange"]
    sent, _ = _answered(period)
    target = sent[0]
    uri = answer_uri(ex, target["provider"], PERIODE, "validasi", target["batch_id"])
    data, manifest = storage.read_bytes(uri), storage.read_bytes(manifest_uri(uri))
    wrong = json.dumps({**json.loads(manifest), "rows": target["rows"] + 1}).encode()
    storage.write_bytes(manifest_uri(uri), wrong)
    with pytest.raises(
        ContractError, match=rf"the manifest says {target['rows'] + 1} rows, the file has {target['rows']}"
    ):
        exchange.ingest_answer(period, target["batch_id"])
    storage.write_bytes(uri, data)
    storage.write_bytes(manifest_uri(uri), manifest)
    assert exchange.ingest_answer(period, target["batch_id"])["outcome"] == "loaded"
    assert query(dsn, "SELECT hasil, pesan FROM kuota.jawaban WHERE batch_id = %s", (target["batch_id"],)) == [
        ("dimuat", None)
    ]


# -- 2. an answer overwritten after it was loaded ------------------------------------------


def test_an_answer_changed_after_it_was_loaded_is_noticed_by_the_next_stage_run(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent, sim = _answered(period, [Fault("changed", "indosat"), Fault("duplicate", "xl")])
    assert set(_ingest_all(period).values()) == {"loaded"}
    states, ledger = _states(dsn), _ledger(dsn)
    assert exchange.recheck_answered(period, "validasi")["changed"] == []  # nothing yet
    rewritten = sim.step()  # later: indosat writes another answer, xl the same one again
    changed = next(e["batch_id"] for e in rewritten if e["batch_id"].split("-")[3] == "indosat")
    ((first,),) = query(dsn, "SELECT sha256 FROM kuota.jawaban WHERE batch_id = %s AND hasil = 'dimuat'", (changed,))

    found = exchange.recheck_answered(period, "validasi")
    assert len(found["changed"]) == 1, found
    ((new,),) = query(dsn, "SELECT sha256 FROM kuota.jawaban WHERE batch_id = %s AND hasil = 'dikarantina'", (changed,))
    assert changed in found["changed"][0] and first in found["changed"][0] and new in found["changed"][0]
    assert query(
        dsn, "SELECT jenis, baris, request_id FROM kuota.anomali_provider WHERE batch_id = %s", (changed,)
    ) == [("jawaban_berubah", 0, None)]
    assert _states(dsn) == states and _ledger(dsn) == ledger  # the first answer stands
    assert not storage.exists(answer_uri(ex, "indosat", PERIODE, "validasi", changed))
    assert any(
        n.endswith(".error.txt") for n in storage.list_names(f"{ex}/karantina/provider/indosat/{PERIODE}/validasi")
    )
    # The next stage run finds nothing new; the duplicate stays where it is, unquarantined.
    assert exchange.recheck_answered(period, "validasi")["changed"] == []
    assert query(dsn, "SELECT count(*) FROM kuota.anomali_provider") == [(1,)]
    assert not storage.list_names(f"{ex}/karantina/provider/xl/{PERIODE}/validasi")


# -- 3. an answered batch is never re-sent ----------------------------------------------------


def test_redo_batch_refuses_an_injection_batch_whose_answer_is_loaded(dsn, storage, approved, period):
    ex = approved["exchange"]
    sent = _inject(period)
    ProviderSimulator(storage, ex, PERIODE).step()
    assert set(_ingest(period).values()) == {"loaded"}
    paid = _money(dsn)
    target = sent[0]
    sent_at = storage.modified_at(manifest_uri(target["uri"]))
    with pytest.raises(ContractError, match=r"not re-sent: its answer is loaded already .* answer and inject again"):
        exchange.redo_batch(period, target["batch_id"], wait_seconds=1, poll_seconds=0.1)
    # A cleared send_batch task (or a forced send) does not re-send it either.
    for force in (False, True):
        assert exchange.send_batch(period, target["batch_id"], force=force)["outcome"] == "answered"
    assert storage.modified_at(manifest_uri(target["uri"])) == sent_at
    assert _money(dsn) == paid


# -- 4. two runs of one period at once ------------------------------------------------------


def _twice_at_once(fn) -> list:
    """Run ``fn`` in two threads released together; their results or exceptions."""
    start, out = threading.Barrier(2), [None, None]

    def run(i):
        start.wait()
        try:
            out[i] = fn()
        except Exception as err:  # the assertion below names it
            out[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_runs_of_a_period_at_once_wait_for_each_other(dsn, storage, validated, period):
    """Each step of a stage, run twice at once (a CLI beside a DAG run): no raw constraint
    error, and the outcome is that of one run."""
    ex = validated
    for step in (
        lambda: sptjm.issue(period.with_(tahap=1)),
        lambda: sptjm.write_files(period),
    ):
        results = _twice_at_once(step)
        assert not [r for r in results if isinstance(r, Exception)], results
    numbers = [n for (n,) in query(dsn, "SELECT sptjm_no FROM kuota.sptjm ORDER BY 1")]
    assert all(n.endswith("-1") for n in numbers)  # one SPTJM per school, not two
    portal_file(
        storage,
        ex,
        "persetujuan",
        "keputusan-1",
        ("sptjm_no", "npsn", "keputusan", "waktu"),
        [(n, n.split("-")[3], "disetujui", "2020-09-20T10:00:00+07:00") for n in numbers],
    )
    results = _twice_at_once(lambda: sptjm.ingest_decisions(period.with_(tahap=1)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r["loaded"] for r in results) == [0, 1]

    def plan_and_send():
        return [
            exchange.send_batch(period, b["batch_id"])["outcome"]
            for p in exchange.providers_to(period, "injeksi")
            for b in exchange.plan(period, p, "injeksi", 150)
        ]

    results = _twice_at_once(plan_and_send)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (
        query(dsn, "SELECT count(*), count(DISTINCT (jenis, id)) FROM kuota.injeksi")[0]
        == query(dsn, "SELECT count(*), count(*) FROM kuota.penerima WHERE status = 'dikirim_injeksi'")[0]
    )
    ProviderSimulator(storage, ex, PERIODE).step()
    batches = [b["batch_id"] for b in exchange.batches_of(period, "injeksi")]
    results = _twice_at_once(lambda: [exchange.ingest_answer(period, b)["outcome"] for b in batches])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(set(results[0]) | set(results[1])) == ["duplicate_ignored", "loaded"]
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.jawaban j JOIN kuota.batch b USING (batch_id) "
        "WHERE j.hasil = 'dimuat' AND b.jenis = 'injeksi'",
    ) == [(len(batches),)]


def test_a_step_still_busy_after_the_wait_says_what_to_do(dsn):
    with db.serialized(dsn, PERIODE, "plan validasi xl"):
        with pytest.raises(db.Busy, match=r"'plan validasi xl' is still running in another process .* run this again"):
            with db.serialized(dsn, PERIODE, "plan validasi xl", wait_seconds=0.5, poll_seconds=0.1):
                pass
    with db.serialized(dsn, PERIODE, "plan validasi xl", wait_seconds=0.5):  # released with its connection
        pass
