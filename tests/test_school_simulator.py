"""The school simulator against the real pipeline: what it writes keeps the portal contract
(the pipeline takes it without a quarantine; each corrections file is its school's, by the npsn
of its manifest), it acts once per residu version and SPTJM, and a restarted simulator makes the
same choices and nothing twice."""

from __future__ import annotations

import json
import time

import pytest
from conftest import query
from helpers import read_csv, validated_period

from kuota.bulanan import residu
from kuota.partners import portal
from kuota.partners.contract import CORRECTABLE_REASONS
from kuota.periode import Period
from kuota.tahap import sptjm
from kuota_tools.school_simulator import SchoolSimulator

pytestmark = pytest.mark.heavy
PERIODE = "2020-09"


@pytest.fixture
def screened(dsn, storage, bucket, prebuilt):
    """A period of 3,000 students screened and validated, its residu back at the schools."""

    def build(d, s, b):
        ex = validated_period(d, s, b, PERIODE, 3_000, seed=11, batch_rows=100_000)
        residu.write_residu(Period(d, PERIODE, s, exchange_uri=ex))  # the providers' residu too

    prebuilt.restore("school-simulator-3000", dsn, bucket, build)
    return f"s3://{bucket}/exchange"


def test_schools_correct_a_share_of_their_residu_once_per_version(dsn, storage, screened, period):
    ex = screened
    correctable = query(
        dsn,
        "SELECT count(*) FROM kuota.penerima WHERE alasan = ANY(%s) AND npsn IS NOT NULL",
        (list(CORRECTABLE_REASONS),),
    )[0][0]
    sim = SchoolSimulator(storage, ex, PERIODE, correct_share=0.5, only="koreksi")
    events = sim.step()
    files = [n for n in storage.list_names(f"{ex}/portal/{PERIODE}/koreksi") if n.endswith(".csv")]
    assert len(files) == len(events) > 0
    corrected = sum(e["records"] for e in events)
    assert 0.35 * correctable < corrected < 0.65 * correctable
    for name in files:
        rows = read_csv(storage, f"{ex}/portal/{PERIODE}/koreksi/{name}")
        assert rows[0] == ["jenis", "id", "nomor_hp", "kepemilikan_hp", "waktu_koreksi"]
        manifest = json.loads(storage.read_bytes(f"{ex}/portal/{PERIODE}/koreksi/{name[:-4]}.manifest.json"))
        assert manifest["rows"] == len(rows) - 1 and manifest["file"] == name
        # One file per school, bound to it: its manifest names the school of every record in it.
        assert manifest["npsn"] == name.split("-")[0]
        assert query(
            dsn, "SELECT DISTINCT npsn FROM kuota.penerima WHERE id::text = ANY(%s)", ([r[1] for r in rows[1:]],)
        ) == [(manifest["npsn"],)]
    assert sim.step() == [] and SchoolSimulator(storage, ex, PERIODE, only="koreksi").step() == []
    # The pipeline takes every file; every corrected number is a valid partner number.
    result = portal.ingest(period.with_(tahap=2), "koreksi")
    assert result["loaded"] == len(files) and not result["quarantined"], result
    assert query(dsn, "SELECT hasil, count(*) FROM kuota.koreksi GROUP BY 1") == [("diterapkan", corrected)]
    assert query(
        dsn,
        "SELECT count(*) FROM kuota.penerima p JOIN kuota.koreksi k USING (periode, jenis, id) "
        "WHERE p.msisdn IS NULL OR p.provider IS NULL",
    ) == [(0,)]


def test_schools_decide_each_sptjm_once_after_the_delay(dsn, storage, screened, period):
    ex = screened
    sptjm.issue(period.with_(tahap=1))
    sptjm.write_files(period)
    ((issued,),) = query(dsn, "SELECT count(*) FROM kuota.sptjm")
    sim = SchoolSimulator(storage, ex, PERIODE, reject_share=0.3, delay_seconds=3600, only="persetujuan")
    assert sim.step() == []  # not due yet
    (event,) = sim.step(now=time.time() + 3601)
    assert event["approved"] + event["rejected"] == issued
    assert sim.step(now=time.time() + 7200) == []
    restarted = SchoolSimulator(storage, ex, PERIODE, reject_share=0.3, only="persetujuan")
    assert restarted.step() == []  # what was decided stays decided
    result = sptjm.ingest_decisions(period.with_(tahap=1))
    assert result["loaded"] == 1 and not result["quarantined"], result
    decided = dict(query(dsn, "SELECT keputusan, count(*) FROM kuota.sptjm GROUP BY 1"))
    assert decided == {k: v for k, v in (("disetujui", event["approved"]), ("ditolak", event["rejected"])) if v}
    # The same seed rejects the same SPTJMs.
    again = SchoolSimulator(storage, f"{ex}-copy", PERIODE, reject_share=0.3)
    assert [again.rejects(no) for (no,) in query(dsn, "SELECT sptjm_no FROM kuota.sptjm ORDER BY 1")] == [
        k == "ditolak" for (k,) in query(dsn, "SELECT keputusan FROM kuota.sptjm ORDER BY sptjm_no")
    ]


def test_school_simulator_refuses_bad_options(storage):
    with pytest.raises(ValueError, match="correct_share"):
        SchoolSimulator(storage, "s3://x/ex", PERIODE, correct_share=1.5)
    with pytest.raises(ValueError, match="only"):
        SchoolSimulator(storage, "s3://x/ex", PERIODE, only="sptjm")
