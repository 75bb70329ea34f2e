"""The cockpit's figures: the aggregates the pipeline refreshes (kuota.cockpit.refresh) agree
with the recipients at every level, a refresh run twice or twice at once changes nothing, each
stage keeps its own figures, and a quarantined partner file shows its error and what to do."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from conftest import query
from helpers import PERIODE
from test_exchange import _bump_clock, _ingest_all, _send_all

from kuota import cockpit
from kuota.cockpit import Scope, View
from kuota.infra import db
from kuota.partners import exchange
from kuota.partners.contract import LATER_REASONS
from kuota_tools.simulator import Fault, ProviderSimulator

COUNTS = ("cutoff", "screened", "valid", "sptjm_disetujui", "injected", "gb")


def _tables(dsn) -> list:
    return [
        query(dsn, f"SELECT * FROM cockpit.{table} ORDER BY 1, 2, 3, 4, 5, 6") for table in ("funnel", "residu", "bast")
    ]


def _sum(rows: list[dict]) -> dict:
    return {k: sum(r[k] for r in rows) for k in COUNTS}


@pytest.mark.heavy
def test_the_aggregates_agree_with_the_recipients_at_every_level(dsn, approved, period):
    done = cockpit.refresh(period, "sptjm")
    with db.connect(dsn) as conn:
        live = db.run(conn, "summary/06_count_funnel", {"periode": PERIODE, "later": list(LATER_REASONS)})
    live = {(level, key): dict(zip(COUNTS, map(int, counts), strict=True)) for level, key, *counts in live}
    rows = cockpit.funnel(View(period))
    total = rows[-1]
    assert total["tingkat"] == "total" and total["nama"] == "Indonesia"
    assert {k: total[k] for k in COUNTS} == live[("total", "-")] == {k: done[k] for k in COUNTS}
    assert total["sptjm_disetujui"] > 0  # the fixture's SPTJMs, all approved but one
    provinces = [r for r in rows if r["tingkat"] == "provinsi"]
    assert {r["kode"]: {k: r[k] for k in COUNTS} for r in provinces} == {
        key: counts for (level, key), counts in live.items() if level == "provinsi"
    }
    assert {r["kode"]: {k: r[k] for k in COUNTS} for r in rows if r["tingkat"] == "provider"} == {
        key: counts for (level, key), counts in live.items() if level == "provider"
    }

    # Down the levels: a province is the sum of its districts, a district of its schools.
    province = max(provinces, key=lambda r: r["cutoff"])
    inside = cockpit.funnel(View(period, Scope(provinsi=province["kode"])))
    assert inside[-1]["nama"] == province["nama"] and _sum(inside[-1:]) == _sum([province])
    districts = [r for r in inside if r["tingkat"] == "kabupaten"]
    assert districts and _sum(districts) == _sum([province])
    assert _sum([r for r in inside if r["tingkat"] == "provider"]) == _sum([province])
    district = districts[0]
    schools = [r for r in cockpit.funnel(View(period, Scope(kabupaten=district["kode"]))) if r["tingkat"] == "sekolah"]
    assert schools and _sum(schools) == _sum([district])
    school = max(schools, key=lambda r: r["cutoff"])
    ((name,),) = query(dsn, "SELECT nama FROM snapshot.sekolah WHERE npsn = %s", (school["kode"],))
    assert school["nama"] == name
    own = cockpit.funnel(View(period, Scope(npsn=school["kode"])))
    assert own[-1]["tingkat"] == "total" and own[-1]["nama"] == name and _sum(own[-1:]) == _sum([school])

    # The residu by reason, of Indonesia and of each province.
    residu = cockpit.residu(View(period))
    assert {r["alasan"]: r["jumlah"] for r in residu if r["tingkat"] == "total"} == dict(
        query(dsn, "SELECT alasan, count(*) FROM kuota.penerima WHERE status = 'residu' GROUP BY 1")
    )
    by_province = Counter()
    for r in residu:
        if r["tingkat"] == "provinsi":
            by_province[r["alasan"]] += r["jumlah"]
    assert by_province == Counter({r["alasan"]: r["jumlah"] for r in residu if r["tingkat"] == "total"})

    # Again, and twice at once: the same figures, no error (the stage's rows are replaced whole).
    before = _tables(dsn)
    cockpit.refresh(period, "sptjm")
    errors = []

    def again():
        try:
            cockpit.refresh(period, "sptjm")
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=again) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and _tables(dsn) == before

    # Each stage keeps its own figures: the screening's (stage 0) beside stage 1's.
    cockpit.refresh(period, "screening", 0)
    assert [s["tahap"] for s in cockpit.stages(View(period))] == [0, 1]
    assert cockpit.funnel(View(period, tahap=1)) == rows  # the latest by default, and unchanged
    assert {(t["periode"], t["tahap"]) for t in cockpit.trend(View(period))} == {(PERIODE, 0), (PERIODE, 1)}
    assert cockpit.funnel(View(period, tahap=7)) == []  # a stage never refreshed: nothing, not an error


def test_a_scope_is_digits_of_its_level():
    assert Scope().level() == ("indonesia", "", "provinsi")
    assert Scope(provinsi="32", kabupaten="3201").level() == ("kabupaten", "3201", "sekolah")
    for bad in ({"provinsi": "3"}, {"kabupaten": "32a1"}, {"npsn": "1234567"}, {"npsn": "12345678' --"}):
        with pytest.raises(ValueError, match="digits"):
            Scope(**bad)


@pytest.mark.heavy
def test_a_quarantined_answer_shows_its_error_and_what_to_do_until_it_is_redone(dsn, storage, screened, period):
    ex = screened["exchange"]
    sent = _send_all(period)
    bad = next(s for s in sent if s["provider"] == "telkomsel")
    sim = ProviderSimulator(storage, ex, PERIODE, faults=[Fault("unknown_status", "telkomsel")])
    sim.step()
    _ingest_all(period)

    (shown,) = cockpit.quarantines(View(period))
    assert (shown["dari"], shown["provider"], shown["jenis"], shown["batch_id"]) == (
        "provider",
        "telkomsel",
        "validasi",
        bad["batch_id"],
    )
    assert "unknown status" in shown["pesan"] and shown["berkas"].startswith(f"{ex}/karantina/provider/telkomsel/")
    assert f"kuota redo-batch --batch-id {bad['batch_id']}" in shown["tindakan"]
    msisdns = [m for (m,) in query(dsn, "SELECT msisdn FROM kuota.permintaan WHERE batch_id = %s", (bad["batch_id"],))]
    assert not any(m in str(shown) for m in msisdns)

    exchange.send_batch(period, bad["batch_id"])
    _bump_clock(sim, bad["batch_id"])
    sim.step()
    assert exchange.ingest_answer(period, bad["batch_id"])["outcome"] == "loaded"
    (shown,) = cockpit.quarantines(View(period))
    assert shown["tindakan"].startswith("Done: a corrected answer")


def _exchange_as_the_ledger_counts(dsn) -> dict:
    """Per provider and kind: the requests still open and the batches closed unanswered,
    counted request by request (what the view reads from two indexes per batch)."""
    rows = query(
        dsn,
        "SELECT b.provider, b.jenis, count(*) FILTER (WHERE r.hasil IS NULL), "
        "count(DISTINCT b.batch_id) FILTER (WHERE r.hasil = 'tanpa_respons') "
        "FROM kuota.batch b JOIN kuota.permintaan r USING (batch_id) WHERE b.periode = %s GROUP BY 1, 2",
        (PERIODE,),
    )
    return {(p, j): (terbuka, ditutup) for p, j, terbuka, ditutup in rows}


def _exchange_shown(period) -> dict:
    return {
        (r["provider"], r["jenis"]): (r["permintaan_terbuka"], r["ditutup_tanpa_jawaban"])
        for r in cockpit.exchange(View(period))
    }


@pytest.mark.heavy
def test_the_exchange_view_counts_open_and_closed_requests_as_the_ledger_does(dsn, storage, screened, period):
    """Sent and unanswered, one answer quarantined, then the deadline: at each point the view
    (two index probes per batch) equals a count of the requests themselves."""
    sent = _send_all(period)
    assert _exchange_shown(period) == _exchange_as_the_ledger_counts(dsn)
    assert sum(t for t, _ in _exchange_shown(period).values()) == sum(s["rows"] for s in sent) > 0
    oldest = {r["provider"]: r["umur_terbuka_tertua_detik"] for r in cockpit.exchange(View(period))}

    sim = ProviderSimulator(storage, screened["exchange"], PERIODE, faults=[Fault("unknown_status", "telkomsel")])
    sim.step()
    _ingest_all(period)
    shown = _exchange_shown(period)
    assert shown == _exchange_as_the_ledger_counts(dsn)
    assert shown[("telkomsel", "validasi")][0] > 0
    assert all(terbuka == 0 for (p, _), (terbuka, _) in shown.items() if p != "telkomsel")
    (telkomsel,) = (r for r in cockpit.exchange(View(period)) if r["provider"] == "telkomsel")
    assert telkomsel["perlu_redo"] == 1 and telkomsel["umur_terbuka_tertua_detik"] >= oldest["telkomsel"]

    exchange.close_unanswered(period.with_(deadline=dt.datetime.now(dt.UTC)))
    shown = _exchange_shown(period)
    assert shown == _exchange_as_the_ledger_counts(dsn)
    assert shown[("telkomsel", "validasi")] == (0, 1) and sum(c for _, c in shown.values()) == 1


def test_a_period_not_opened_has_no_figures_to_count(dsn, period):
    """A monthly run that stopped before opening its period (a bad manifest) still runs its
    refresh_cockpit (all_done): it counts nothing and fails nothing, so no retry holds the run."""
    assert cockpit.refresh(period, "screening", 0)["skipped"] is True
    assert query(dsn, "SELECT count(*) FROM cockpit.funnel") == [(0,)]
    assert cockpit.stages(View(period)) == [] and cockpit.funnel(View(period)) == []
