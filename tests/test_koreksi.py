"""Corrections bound to the school that submitted them (exchange.md §3, koreksi), attacked on
the real stack: a school's operator must never change another school's pupil, whatever its
file says. The refused rows are recorded and reported like every refused correction (ids only
in the log), and a file that names no school of the period's cutoff is quarantined whole."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re

import pytest
from conftest import query
from helpers import screened_period

from kuota.infra import db
from kuota.partners.contract import PORTAL_IN_COLUMNS
from kuota.partners.manifest import file_manifest, now_iso
from kuota.tahap import koreksi

PERIODE = "2020-09"
AT = "2020-09-21T09:00:00+07:00"
# Residu reasons screening gives that a number fixes.
FIXABLE = ["nomor_kosong", "nomor_tidak_valid", "operator_tidak_didukung", "kepemilikan_kosong"]


@pytest.fixture
def screened(dsn, storage, bucket, prebuilt):
    """A period of 2,000 students loaded and screened, its residu at the schools."""
    prebuilt.restore("screened-2000", dsn, bucket, lambda d, s, b: screened_period(d, s, b, 2_000, seed=23))
    return f"s3://{bucket}/exchange"


def _far_deadline() -> dt.datetime:
    """A period deadline not yet passed: corrections are still taken."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def _koreksi(storage, ex, name, rows, **manifest_fields) -> None:
    """A corrections file as the portal drops it: the data, then its manifest."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PORTAL_IN_COLUMNS["koreksi"])
    writer.writerows(rows)
    data = out.getvalue().encode()
    folder = f"{ex}/portal/{PERIODE}/koreksi"
    storage.write_bytes(f"{folder}/{name}.csv", data)
    storage.write_bytes(
        f"{folder}/{name}.manifest.json", file_manifest(f"{name}.csv", data, len(rows), now_iso(), **manifest_fields)
    )


def _fixable_by_school(dsn) -> dict[str, list[str]]:
    """npsn -> ids of its pupils in a residu a number fixes (schools with two or more)."""
    found: dict[str, list[str]] = {}
    for npsn, rid in query(
        dsn,
        "SELECT npsn, id::text FROM kuota.penerima WHERE periode = %s AND jenis = 'pd' "
        "AND alasan = ANY(%s) AND npsn IS NOT NULL ORDER BY npsn, id",
        (PERIODE, FIXABLE),
    ):
        found.setdefault(npsn, []).append(rid)
    return {npsn: ids for npsn, ids in found.items() if len(ids) >= 2}


def _record(dsn, rid) -> tuple:
    return query(
        dsn,
        "SELECT npsn, msisdn, provider, status, alasan, tahap, diubah_at FROM kuota.penerima "
        "WHERE periode = %s AND jenis = 'pd' AND id = %s",
        (PERIODE, rid),
    )[0]


def _personal(dsn, ids) -> set[str]:
    """What must never reach a log about these pupils: names, NISN, NIK and numbers as typed."""
    values = set()
    for row in query(
        dsn,
        "SELECT pd.nama, pd.nisn, pd.nik, pd.nama_ibu_kandung, pd.nomor_hp FROM snapshot.peserta_didik pd "
        "JOIN kuota.periode p USING (cutoff_id) WHERE p.periode = %s AND pd.peserta_didik_id::text "
        "= ANY(%s)",
        (PERIODE, list(ids)),
    ):
        values |= {v.strip() for v in row if v and len(v.strip()) >= 5}
    return values


@pytest.mark.heavy
def test_a_school_cannot_correct_another_schools_pupil(dsn, storage, screened, caplog, period):
    caplog.set_level(logging.DEBUG, logger="kuota")  # everything the pipeline logs, not the S3 client's
    ex = screened
    schools = _fixable_by_school(dsn)
    assert len(schools) >= 2, "the generated period needs two schools with fixable residu"
    (npsn_a, (a1, a2, *_)), (npsn_b, (b1, *_)) = sorted(schools.items())[:2]
    victim_before = _record(dsn, b1)
    assert victim_before[0] == npsn_b
    # School A's operator submits a file that also "corrects" school B's pupil (line 3).
    rows = [
        ("pd", a1, "0812-7777-0001", "orang_tua", AT),
        ("pd", b1, "0812-7777-0666", "sendiri", AT),
        ("pd", a2, "+62 812 7777 0002", "wali", AT),
    ]
    _koreksi(storage, ex, "sekolah-a-1", rows, npsn=npsn_a)
    result = koreksi.ingest_corrections(period.with_(tahap=2, deadline=_far_deadline()))
    # The file is taken (its other rows are A's own), but B's pupil is untouched.
    assert result["loaded"] == 1 and not result["quarantined"], result
    assert _record(dsn, b1) == victim_before
    # The foreign row is refused, recorded with its line and why, and counted.
    assert (
        result.get("koreksi_diterapkan"),
        result.get("koreksi_ditolak"),
        result.get("koreksi_sekolah_lain"),
    ) == (
        2,
        1,
        1,
    ), result
    recorded = query(
        dsn, "SELECT berkas, baris, id::text, hasil, coalesce(pesan, '') FROM kuota.koreksi ORDER BY baris"
    )
    assert [r[:4] for r in recorded] == [
        ("sekolah-a-1.csv", 2, a1, "diterapkan"),
        ("sekolah-a-1.csv", 3, b1, "ditolak"),
        ("sekolah-a-1.csv", 4, a2, "diterapkan"),
    ]
    assert f"not of school {npsn_a}" in recorded[1][4] and "corrects only its own records" in recorded[1][4]
    assert npsn_b not in recorded[1][4]  # nothing about the other school is told back
    # A's pupils re-enter validation in this stage with their new numbers.
    assert query(
        dsn,
        "SELECT id::text, msisdn, status, tahap FROM kuota.penerima WHERE id::text = ANY(%s) ORDER BY msisdn",
        ([a1, a2],),
    ) == sorted(
        [(a1, "6281277770001", "siap_validasi", 2), (a2, "6281277770002", "siap_validasi", 2)], key=lambda r: r[1]
    )
    # Reported like every refused correction: file, line, ids and why, from koreksi_ditolak.
    with db.connect(dsn) as conn:
        reported = db.run(
            conn, "tahap/koreksi/04_list_koreksi_ditolak", {"periode": PERIODE, "berkas": "sekolah-a-1.csv"}
        )
    assert [r[:3] for r in reported] == [(3, "pd", b1)]
    assert re.search(
        rf"sekolah-a-1\.csv line 3 \(pd {b1}\): correction refused: the record is not of school "
        rf"{npsn_a}",
        caplog.text,
    ), caplog.text
    # The log shows ids only: no name, NISN, NIK or number of any pupil the file touched.
    digits = [re.sub(r"\D", "", r[2]) for r in rows]
    typed = {r[2] for r in rows} | set(digits) | {"62" + d.removeprefix("62").removeprefix("0") for d in digits}
    leaked = {v for v in _personal(dsn, [a1, a2, b1]) | typed if v in caplog.text}
    assert not leaked, leaked
    # B's own operator can still correct its pupil: the refused row did not count against it.
    _koreksi(storage, ex, "sekolah-b-1", [("pd", b1, "0812-7777-0003", "orang_tua", AT)], npsn=npsn_b)
    result = koreksi.ingest_corrections(period.with_(tahap=2, deadline=_far_deadline()))
    assert result["loaded"] == 1 and result.get("koreksi_diterapkan") == 1, result
    assert _record(dsn, b1)[1:4] == ("6281277770003", "telkomsel", "siap_validasi")


def test_a_koreksi_file_bound_to_no_school_of_the_cutoff_is_quarantined_whole(dsn, storage, screened, period):
    ex = screened
    schools = _fixable_by_school(dsn)
    (npsn_a, ids_a), (npsn_b, ids_b) = sorted(schools.items())[:2]
    ((cutoff_date,),) = query(
        dsn,
        "SELECT c.cutoff_date::text FROM kuota.periode p JOIN snapshot.cutoff c USING (cutoff_id) WHERE p.periode = %s",
        (PERIODE,),
    )
    known = {n for (n,) in query(dsn, "SELECT npsn FROM snapshot.sekolah")}
    stranger = next(f"{n:08d}" for n in range(99_999_999, 0, -1) if f"{n:08d}" not in known)
    bad = {  # name -> (manifest fields, what the error must say)
        "tanpa-npsn": ({}, r"the manifest has no npsn \(rule: a koreksi manifest carries npsn"),
        "npsn-pendek": ({"npsn": npsn_a[:7]}, rf"the manifest's npsn is '{npsn_a[:7]}', not 8 digits"),
        "npsn-angka": ({"npsn": int(npsn_a)}, rf"the manifest's npsn is {int(npsn_a)}, not 8 digits in a JSON string"),
        "npsn-asing": (
            {"npsn": stranger},
            rf"the manifest's npsn {stranger} is not a school of the cutoff of periode "
            rf"{PERIODE} \({cutoff_date}\)",
        ),
    }
    before = {rid: _record(dsn, rid) for rid in ids_a}
    for name, (fields, _) in bad.items():
        _koreksi(storage, ex, name, [("pd", ids_a[0], "0812-7777-0101", "sendiri", AT)], **fields)
    # One school's good file beside them is not held up.
    _koreksi(storage, ex, "sekolah-b-1", [("pd", ids_b[0], "0812-7777-0202", "sendiri", AT)], npsn=npsn_b)
    result = koreksi.ingest_corrections(period.with_(tahap=2, deadline=_far_deadline()))
    assert result["files"] == 5 and result["loaded"] == 1 and len(result["quarantined"]) == 4, result
    folder = f"{ex}/portal/{PERIODE}/koreksi"
    for name, (_, rule) in bad.items():
        (error,) = [e for e in result["quarantined"] if f"{folder}/{name}.csv quarantined" in e]
        assert re.search(rule, error), (rule, error)
        assert "send the file again under a new name" in error
        # Moved whole to karantina with its error file; nothing of it stays in the portal.
        assert not storage.exists(f"{folder}/{name}.manifest.json") and not storage.exists(f"{folder}/{name}.csv")
        ((target,),) = query(
            dsn, "SELECT karantina FROM kuota.berkas_portal WHERE nama = %s AND hasil = 'dikarantina'", (name,)
        )
        assert storage.read_bytes(f"{target}.error.txt").decode().strip() == error
        assert storage.exists(f"{target}.csv") and storage.exists(f"{target}.manifest.json")
    # Nothing from them was loaded: A's pupil is as it was, only B's row is recorded.
    assert {rid: _record(dsn, rid) for rid in ids_a} == before
    assert query(dsn, "SELECT berkas, id::text, hasil FROM kuota.koreksi") == [
        ("sekolah-b-1.csv", ids_b[0], "diterapkan")
    ]
    # What the error says to do works: the same rows again under a new name, the manifest naming the school.
    _koreksi(storage, ex, "tanpa-npsn-2", [("pd", ids_a[0], "0812-7777-0101", "sendiri", AT)], npsn=npsn_a)
    result = koreksi.ingest_corrections(period.with_(tahap=2, deadline=_far_deadline()))
    assert result["loaded"] == 1 and not result["quarantined"], result
    assert _record(dsn, ids_a[0])[1:4] == ("6281277770101", "telkomsel", "siap_validasi")
