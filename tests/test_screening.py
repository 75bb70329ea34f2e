"""Screening on generated cutoffs: every planted anomaly ends in its reason, every clean record
in siap_validasi, every cutoff record in exactly one state. Expected outcomes come from the
generator's ground-truth labels and the precedence of domain.md, never from counts."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import psycopg2
import pytest
from conftest import query
from helpers import read_csv

from kuota.bulanan import quality, residu, screening, snapshot
from kuota.infra.storage import join
from kuota.partners.contract import CUTOFF_COLUMNS, SCREENING_REASONS
from kuota_tools import generator

PRECEDENCE = SCREENING_REASONS  # domain.md, "One reason per record": the first that applies wins


def _load(dsn, storage, bucket, seed, students=6_000, periode="2020-09"):
    uri = f"s3://{bucket}/cutoff-{seed}"
    generator.generate(uri, generator.Scale.for_students(students), seed=seed, storage=storage)
    snapshot.run_snapshot(dsn, periode, uri, storage)
    return uri


def _truth(storage, uri) -> dict[tuple[str, str], set[str]]:
    planted = defaultdict(set)
    for jenis, rid, label, _partner, _varian in read_csv(storage, join(uri, "labels.csv.gz"))[1:]:
        planted[(jenis, rid)].add(label)
    return planted


def _expected(labels: set[str], shared_ok: bool) -> str:
    for reason in PRECEDENCE:
        if reason in labels and (reason != "nomor_dipakai_bersama" or shared_ok):
            return reason
    return "siap_validasi"


def _shared_groups_still_over_the_limit(storage, uri, planted) -> set[str]:
    """A shared-number group stays over 10 only if enough members passed the earlier lines."""
    col = CUTOFF_COLUMNS["peserta_didik"].index("nomor_hp")
    members = defaultdict(list)
    for row in read_csv(storage, join(uri, "peserta_didik.csv.gz"))[1:]:
        labels = planted.get(("pd", row[0]), set())
        if "nomor_dipakai_bersama" in labels:
            members[row[col]].append((row[0], labels))
    ok = set()
    for rows in members.values():
        passing = [
            rid for rid, labels in rows if _expected(labels - {"nomor_dipakai_bersama"}, False) == "siap_validasi"
        ]
        if len(passing) > 10:
            ok.update(passing)
    return ok


@pytest.mark.parametrize("seed", [4, 17])
@pytest.mark.heavy
def test_every_planted_anomaly_ends_in_its_reason(dsn, storage, bucket, seed, period):
    uri = _load(dsn, storage, bucket, seed)
    result = screening.screen(period)
    planted = _truth(storage, uri)
    shared_ok = _shared_groups_still_over_the_limit(storage, uri, planted)

    got = {
        (jenis, str(rid)): (status, alasan)
        for jenis, rid, status, alasan in query(
            dsn, "SELECT jenis, id, status, alasan FROM kuota.penerima WHERE periode = '2020-09'"
        )
    }
    assert len(got) == result["records"]
    wrong = defaultdict(list)
    for key, (status, alasan) in got.items():
        labels = planted.get(key, set())
        want = _expected(labels, key[1] in shared_ok)
        have = alasan if status == "residu" else status
        if have != want:
            wrong[(want, have)].append(key[1])
    assert not wrong, {k: (len(v), v[:3]) for k, v in wrong.items()}
    # Every reason planted in this cutoff was seen, and most reasons were planted.
    seen = {alasan for status, alasan in got.values() if status == "residu"}
    planted_reasons = set().union(*planted.values()) & set(PRECEDENCE)
    assert seen >= planted_reasons and len(planted_reasons) >= 12, planted_reasons - seen


@pytest.mark.heavy
def test_every_cutoff_record_is_in_exactly_one_state(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=8)
    screening.screen(period)
    ((loaded,),) = query(
        dsn, "SELECT (SELECT count(*) FROM snapshot.peserta_didik) + (SELECT count(*) FROM snapshot.ptk)"
    )
    ((readable,),) = query(
        dsn,
        """SELECT count(DISTINCT id_rekaman) FROM snapshot.format_tidak_valid f
                                 WHERE tabel <> 'sekolah' AND id_rekaman IS NOT NULL AND NOT EXISTS
                                   (SELECT 1 FROM snapshot.peserta_didik p WHERE p.peserta_didik_id = f.id_rekaman)
                                   AND NOT EXISTS (SELECT 1 FROM snapshot.ptk t WHERE t.ptk_id = f.id_rekaman)""",
    )
    assert query(dsn, "SELECT count(*) FROM kuota.penerima") == [(loaded + readable,)]
    # Eligible records carry what the provider exchange needs; residu carries its one reason.
    assert query(
        dsn,
        """SELECT count(*) FROM kuota.penerima WHERE status = 'siap_validasi'
                         AND (msisdn IS NULL OR provider IS NULL OR paket_gb IS NULL OR alasan IS NOT NULL)""",
    ) == [(0,)]
    assert query(
        dsn, "SELECT DISTINCT paket_gb FROM kuota.penerima WHERE kategori = 'ptk' AND status = 'siap_validasi'"
    ) == [(42,)]
    assert query(
        dsn, "SELECT DISTINCT paket_gb FROM kuota.penerima WHERE kategori = 'paud' AND status = 'siap_validasi'"
    ) == [(20,)]
    assert quality.check_screening(period)["failed"] == 0


@pytest.mark.heavy
def test_screening_suite_fails_when_a_record_is_lost(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=12, students=2_000)
    screening.screen(period)
    query(dsn, "DELETE FROM kuota.penerima WHERE id = (SELECT min(id::text)::uuid FROM kuota.penerima) RETURNING 1")
    with pytest.raises(quality.QualityError, match=r"quality\.penerima: expect_table_row_count_to_equal"):
        quality.check_screening(period)


def test_screening_twice_changes_nothing_and_keeps_its_policies(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=9, students=3_000)
    first = screening.screen(period)
    before = query(dsn, "SELECT jenis, id, status, alasan, paket_gb FROM kuota.penerima ORDER BY jenis, id")
    # A policy changed after the period started does not change a re-run of that period.
    query(
        dsn,
        """INSERT INTO kuota.kebijakan VALUES ('batas_nomor_bersama', '1', '2020-09-01', 'test')
                  RETURNING 1""",
    )
    again = screening.screen(period)
    assert again["skipped"] and again["records"] == first["records"]
    assert query(dsn, "SELECT jenis, id, status, alasan, paket_gb FROM kuota.penerima ORDER BY jenis, id") == before
    assert screening.policies(period)["batas_nomor_bersama"] == 10


def test_a_screened_period_is_a_partition_of_its_own_and_nothing_else_makes_one(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=10, students=1_500)
    result = screening.screen(period)
    partitions = """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                    JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'kuota.penerima'::regclass"""
    assert query(dsn, partitions) == [("penerima_2020_09", "FOR VALUES IN ('2020-09')")]
    assert query(dsn, "SELECT count(*) FROM kuota.penerima_2020_09") == [(result["records"],)]
    # The parent's primary key and indexes, built when it was attached; its own truncate guard.
    indexes = "SELECT count(*) FROM pg_indexes WHERE schemaname = 'kuota' AND tablename = %s"
    assert query(dsn, indexes, ("penerima_2020_09",)) == query(dsn, indexes, ("penerima",)) == [(3,)]
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="TRUNCATE refused"):
        query(dsn, "TRUNCATE kuota.penerima_2020_09")
    # A row of a period never screened has no partition to go to.
    with pytest.raises(psycopg2.errors.CheckViolation, match="no partition"):
        query(
            dsn,
            """INSERT INTO kuota.penerima (periode, jenis, id, status, alasan)
               VALUES ('2020-10', 'pd', gen_random_uuid(), 'residu', 'nisn_ganda')""",
        )
    # A screening that committed no row (a cutoff with no record) is run again: the period's
    # partition, made and attached by the first, is kept and filled through the parent.
    again = """SELECT kuota.penerima_partisi('2021-01'); SELECT kuota.penerima_pasang('2021-01');
               SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'kuota.penerima'::regclass ORDER BY 1"""
    assert query(dsn, again) == query(dsn, again) == [("penerima_2020_09",), ("penerima_2021_01",)]
    # A partition's name is made of the periode, so only a period's name makes one.
    with pytest.raises(psycopg2.errors.CheckViolation, match="is not YYYY-MM"):
        query(dsn, "SELECT kuota.penerima_partisi('2020-10\"; DROP TABLE kuota.sptjm; --')")
    assert screening.screen(period)["skipped"] and ("penerima_2020_09", "FOR VALUES IN ('2020-09')") in query(
        dsn, partitions
    )
    # A change of state touches no index (a heap-only update): no index holds the state, and
    # each page keeps room for the next version of its rows.
    assert query(dsn, "SELECT reloptions FROM pg_class WHERE oid = 'kuota.penerima_2020_09'::regclass") == [
        (["fillfactor=50"],)
    ]
    indexdefs = [d for (d,) in query(dsn, "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'penerima%'")]
    assert len(indexdefs) == 9 and not [d for d in indexdefs if "status" in d]  # the parent's, two partitions'
    moved = """UPDATE kuota.penerima SET status = 'dikirim_validasi', diubah_at = now()
               WHERE periode = '2020-09' AND status = 'siap_validasi' AND msisdn IS NOT NULL;
               SELECT pg_stat_get_xact_tuples_updated(c.oid), pg_stat_get_xact_tuples_hot_updated(c.oid)
               FROM pg_class c WHERE c.oid = 'kuota.penerima_2020_09'::regclass"""
    ((updated, hot),) = query(dsn, moved)
    assert updated > 100 and hot >= 0.99 * updated  # a page filled to the brim may send one elsewhere


def test_pkh_pip_exclusion_is_a_policy(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=10, students=3_000)
    query(
        dsn,
        "INSERT INTO kuota.kebijakan VALUES ('kecualikan_penerima_pkh_pip', 'true', '2020-09-01', 'test') RETURNING 1",
    )
    screening.screen(period)
    assert screening.policies(period)["kecualikan_penerima_pkh_pip"] is True
    ((excluded,),) = query(dsn, "SELECT count(*) FROM kuota.penerima WHERE alasan = 'penerima_pkh_pip'")
    ((left,),) = query(
        dsn,
        """SELECT count(*) FROM kuota.penerima p JOIN snapshot.peserta_didik d
                             ON d.peserta_didik_id = p.id WHERE p.status = 'siap_validasi'
                             AND (d.penerima_pip OR d.penerima_pkh)""",
    )
    assert excluded > 0 and left == 0


@pytest.mark.heavy
def test_residu_goes_back_to_each_school_once(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=14, students=3_000)
    screening.screen(period)
    exchange = f"s3://{bucket}/exchange"
    first = residu.write_residu(period)
    folder = join(exchange, "portal", "2020-09", "residu")
    names = storage.list_names(folder)
    ((schools, rows, in_schools),) = query(
        dsn,
        """SELECT count(DISTINCT npsn), count(*), count(npsn)
                                                 FROM kuota.penerima WHERE status = 'residu'""",
    )
    assert first["schools"] == schools and first["rows"] == rows
    assert first["written"] == schools + (rows > in_schools) + 1  # and the rekap
    assert len(names) == 2 * schools  # each file with its manifest

    seen = 0
    for name in (n for n in names if n.endswith(".csv")):
        npsn = name[:-4]
        data = storage.read_bytes(join(folder, name))
        manifest = json.loads(storage.read_bytes(join(folder, f"{npsn}.manifest.json")))
        body = read_csv(storage, join(folder, name))
        assert body[0] == list(residu.RESIDU_COLUMNS)
        assert manifest["file"] == name and manifest["rows"] == len(body) - 1
        assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["schema_version"] == 1
        in_school = dict(
            query(dsn, "SELECT id::text, alasan FROM kuota.penerima WHERE npsn = %s AND status = 'residu'", (npsn,))
        )
        assert {r[1]: r[5] for r in body[1:]} == in_school
        seen += len(body) - 1
    assert seen == in_schools
    if rows > in_schools:  # malformed rows naming no school of the cutoff: Pusdatin's list
        unknown = read_csv(storage, join(exchange, "portal", "2020-09", residu.UNKNOWN_SCHOOL))
        assert len(unknown) - 1 == rows - in_schools

    # A re-run writes nothing: the portal sees the same bytes and manifests.
    again = residu.write_residu(period)
    assert again["written"] == 0 and again["rows"] == rows
    # A run that died between a file and its manifest: the next run completes that school only.
    some = next(n for n in names if n.endswith(".manifest.json"))
    storage.s3.delete_object(Bucket=bucket, Key=f"exchange/portal/2020-09/residu/{some}")
    assert residu.write_residu(period)["written"] == 1
    assert some in storage.list_names(folder)
    rekap = read_csv(storage, join(exchange, "portal", "2020-09", "rekap_residu.csv"))
    assert rekap[0] == list(residu.REKAP_COLUMNS)
    per_level = defaultdict(int)
    for tingkat, _kode, _alasan, jumlah in rekap[1:]:
        per_level[tingkat] += int(jumlah)
    assert per_level == {"provinsi": in_schools, "kabupaten": in_schools, "sekolah": in_schools}

    # A school whose residu is all resolved (here: its rows gone) gets an empty file, once.
    resolved = next(n for n in names if n.endswith(".csv"))[:-4]
    query(dsn, "DELETE FROM kuota.penerima WHERE npsn = %s AND status = 'residu'", (resolved,))
    emptied = residu.write_residu(period)
    assert emptied["emptied"] == 1 and emptied["written"] == 2  # the school's file and the rekap
    assert read_csv(storage, join(folder, f"{resolved}.csv")) == [list(residu.RESIDU_COLUMNS)]
    assert json.loads(storage.read_bytes(join(folder, f"{resolved}.manifest.json")))["rows"] == 0
    assert residu.write_residu(period)["written"] == 0


def _portal(storage, bucket: str, root: str) -> dict[str, bytes]:
    """Every object of a period's portal folder (residu files, manifests, Pusdatin's own)."""
    prefix = f"{root}/portal/2020-09/"
    pages = storage.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return {key[len(prefix) :]: storage.read_bytes(f"s3://{bucket}/{key}") for key in keys}


@pytest.mark.heavy
def test_residu_by_province_writes_what_one_process_writes(dsn, storage, bucket, period):
    """The mapped tasks (a province each, then Pusdatin's own files) and write_residu in one
    process give the same bytes, manifests included; each province empties only its own."""
    _load(dsn, storage, bucket, seed=14, students=3_000)
    screening.screen(period)
    whole = period.with_(exchange_uri=f"s3://{bucket}/whole")
    written = residu.write_residu(whole)["written"]

    provinces = residu.provinces(period)
    assert len(provinces) > 1 and provinces == sorted(provinces)
    by_province = [residu.write_residu_province(period, p) for p in provinces]
    own = residu.write_residu_rekap(period)
    assert sum(r["written"] for r in by_province) + own["written"] == written
    assert sum(r["rows"] for r in by_province) + own["rows"] == residu.write_residu(whole)["rows"]
    assert _portal(storage, bucket, "exchange") == _portal(storage, bucket, "whole")

    # Done again, either way, nothing is written.
    assert [residu.write_residu_province(period, p)["written"] for p in provinces] == [0] * len(provinces)
    assert residu.write_residu(period)["written"] == 0

    # A school whose residu is all resolved: its province's task empties its file, no other.
    npsn, province = query(
        dsn, "SELECT npsn, kode_provinsi FROM kuota.penerima WHERE status = 'residu' AND npsn IS NOT NULL LIMIT 1"
    )[0]
    query(dsn, "DELETE FROM kuota.penerima WHERE npsn = %s AND status = 'residu' RETURNING 1", (npsn,))
    emptied = {p: residu.write_residu_province(period, p)["emptied"] for p in provinces}
    assert emptied == {p: int(p == province) for p in provinces}
    residu.write_residu_rekap(period)
    residu.write_residu(whole)
    assert _portal(storage, bucket, "exchange") == _portal(storage, bucket, "whole")
