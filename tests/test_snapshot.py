"""Stage 1 against the real stack: manifest checks, malformed rows, idempotent reloads."""
from __future__ import annotations

import gzip
import hashlib

import psycopg2
import pytest
from conftest import query
from helpers import labels, read_csv, rewrite_manifest

from kuota import generator, pipeline, quality, snapshot
from kuota.manifest import ContractError
from kuota.quality import QualityError
from kuota.storage import join


def _cutoff(storage, bucket, seed=11, students=3_000, prefix="cutoff", cutoff_date="2020-09-11"):
    uri = f"s3://{bucket}/{prefix}"
    generator.generate(uri, generator.Scale.for_students(students), seed=seed,
                       cutoff_date=cutoff_date, storage=storage)
    return uri


def _counts(dsn):
    return dict(query(dsn, "SELECT 'pd', count(*) FROM snapshot.peserta_didik UNION ALL "
                           "SELECT 'ptk', count(*) FROM snapshot.ptk UNION ALL "
                           "SELECT 'sekolah', count(*) FROM snapshot.sekolah UNION ALL "
                           "SELECT 'invalid', count(*) FROM snapshot.format_tidak_valid"))


@pytest.mark.parametrize("seed", [3, 29])
def test_every_malformed_row_is_reported_with_its_line(dsn, storage, bucket, seed):
    uri = _cutoff(storage, bucket, seed=seed)
    result = pipeline.run_snapshot(dsn, "2020-09", uri, storage)

    planted = labels(storage, uri)["format_tidak_valid"]
    reported = query(dsn, "SELECT tabel, baris, id_rekaman::text, pelanggaran FROM snapshot.format_tidak_valid")
    assert {r[2] for r in reported} == planted
    # The line number points at the row in the file as stored (header = line 1).
    for tabel, baris, rid, rule in reported:
        lines = read_csv(storage, join(uri, f"{tabel}.csv.gz"))
        assert lines[baris - 1][0] == rid, (tabel, baris, rule)
        assert rule
    # Nothing lost: every manifest row is loaded or reported.
    for table, counts in result["tables"].items():
        assert counts["loaded_rows"] + counts["invalid_rows"] == counts["manifest_rows"] > 0
    assert result["quality"]["failed"] == 0


def test_short_row_is_reported_not_fatal(dsn, storage, bucket):
    uri = f"s3://{bucket}/short"
    _cutoff(storage, bucket, prefix="short")
    data = gzip.decompress(storage.read_bytes(join(uri, "ptk.csv.gz"))).decode().splitlines()
    data[2] = data[2].rsplit(",", 3)[0]  # line 3 loses three fields
    raw = gzip.compress(("\n".join(data) + "\n").encode())
    storage.write_bytes(join(uri, "ptk.csv.gz"), raw)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256=hashlib.sha256(raw).hexdigest()))

    pipeline.run_snapshot(dsn, "2020-09", uri, storage)
    rows = query(dsn, "SELECT baris, pelanggaran FROM snapshot.format_tidak_valid WHERE tabel = 'ptk'")
    assert (3, "row has 11 fields, the contract has 14") in rows


def test_checksum_mismatch_names_the_file_and_loads_nothing(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    rewrite_manifest(storage, uri, lambda m: m["files"]["peserta_didik.csv.gz"].update(sha256="0" * 64))

    with pytest.raises(ContractError, match=r"peserta_didik\.csv\.gz: sha256 .* does not match"):
        pipeline.verify_cutoff(storage, uri)
    # Even past verification (a file changed between tasks) the load refuses it.
    manifest = snapshot.read_manifest(storage, uri)
    with pytest.raises(ContractError, match=r"peserta_didik\.csv\.gz: sha256 .*nothing loaded"):
        pipeline.load_snapshot(dsn, storage, manifest, "2020-09")
    counts = _counts(dsn)
    assert counts["pd"] == 0 and counts["ptk"] == 0
    assert counts["sekolah"] > 0  # good data already loaded stays


def test_row_count_mismatch_names_the_file_and_loads_nothing(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(rows=m["files"]["ptk.csv.gz"]["rows"] + 1))
    manifest = pipeline.verify_cutoff(storage, uri)  # sha256 still matches
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: \d+ data rows, the manifest says \d+; nothing loaded"):
        pipeline.load_snapshot(dsn, storage, manifest, "2020-09")
    assert _counts(dsn)["ptk"] == 0


def test_missing_manifest_or_file_is_named(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    storage.s3.delete_object(Bucket=bucket, Key="cutoff/ptk.csv.gz")
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: listed in manifest\.json but not stored"):
        pipeline.verify_cutoff(storage, uri)
    storage.s3.delete_object(Bucket=bucket, Key="cutoff/manifest.json")
    with pytest.raises(ContractError, match=r"manifest\.json: missing"):
        pipeline.verify_cutoff(storage, uri)


def test_header_that_breaks_the_contract_is_refused(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    data = gzip.decompress(storage.read_bytes(join(uri, "ptk.csv.gz"))).replace(b"nuptk,nik", b"nik,nuptk", 1)
    raw = gzip.compress(data)
    storage.write_bytes(join(uri, "ptk.csv.gz"), raw)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256=hashlib.sha256(raw).hexdigest()))
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: line 1: header"):
        pipeline.run_snapshot(dsn, "2020-09", uri, storage)


def test_loading_the_same_cutoff_twice_is_a_no_op(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    first = pipeline.run_snapshot(dsn, "2020-09", uri, storage)
    before = _counts(dsn)
    again = pipeline.run_snapshot(dsn, "2020-09", uri, storage)
    # The same export under another prefix is the same cutoff.
    for name in ("sekolah.csv.gz", "peserta_didik.csv.gz", "ptk.csv.gz", "manifest.json"):
        storage.s3.copy_object(Bucket=bucket, Key=f"copy/{name}", CopySource={"Bucket": bucket, "Key": f"cutoff/{name}"})
    copied = pipeline.run_snapshot(dsn, "2020-09", f"s3://{bucket}/copy", storage)

    assert again["cutoff_id"] == copied["cutoff_id"] == first["cutoff_id"]
    assert all(t["skipped"] for t in again["tables"].values())
    assert all(t["skipped"] for t in copied["tables"].values())
    assert _counts(dsn) == before
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(1,)]


def test_a_failed_load_resumes_where_it_stopped(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    good = storage.read_bytes(join(uri, "ptk.csv.gz"))
    storage.write_bytes(join(uri, "ptk.csv.gz"), good[: len(good) // 2])  # truncated upload
    manifest = snapshot.read_manifest(storage, uri)
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz"):
        pipeline.load_snapshot(dsn, storage, manifest, "2020-09")
    assert _counts(dsn)["ptk"] == 0 and _counts(dsn)["pd"] > 0

    storage.write_bytes(join(uri, "ptk.csv.gz"), good)  # Dapodik re-uploads the file
    result = pipeline.load_snapshot(dsn, storage, manifest, "2020-09")
    assert result["tables"]["sekolah"]["skipped"] and result["tables"]["peserta_didik"]["skipped"]
    assert not result["tables"]["ptk"]["skipped"]
    assert _counts(dsn)["ptk"] == result["tables"]["ptk"]["loaded_rows"] > 0


def test_a_cutoff_date_never_changes_content(dsn, storage, bucket):
    pipeline.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, seed=1, prefix="a"), storage)
    with pytest.raises(ContractError, match=r"cutoff 2020-09-11 is already loaded with other files"):
        pipeline.run_snapshot(dsn, "2020-10", _cutoff(storage, bucket, seed=2, prefix="b"), storage)
    # A period never silently moves to another cutoff either.
    other = _cutoff(storage, bucket, seed=2, prefix="c", cutoff_date="2020-10-11")
    with pytest.raises(ContractError, match=r"periode 2020-09 already runs on cutoff"):
        pipeline.run_snapshot(dsn, "2020-09", other, storage)


@pytest.mark.parametrize("statement", [
    "UPDATE snapshot.peserta_didik SET nomor_hp = '081100000000'",
    "DELETE FROM snapshot.ptk",
    "TRUNCATE snapshot.sekolah CASCADE",
    "UPDATE snapshot.cutoff SET cutoff_date = '2020-01-01'",
])
def test_the_snapshot_is_immutable(dsn, storage, bucket, statement):
    pipeline.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="immutable"):
        query(dsn, statement + " RETURNING 1" if not statement.startswith("TRUNCATE") else statement)


def test_quality_suite_fails_when_rows_do_not_add_up(dsn, storage, bucket):
    result = pipeline.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)
    # A report row with no missing row behind it: the snapshot no longer adds up to the manifest.
    query(dsn, "INSERT INTO snapshot.format_tidak_valid VALUES (%s, 'sekolah', 999999, NULL, 'forged') RETURNING 1",
          (result["cutoff_id"],))
    with pytest.raises(QualityError, match=r"quality\.snapshot_sekolah: expect_table_row_count_to_equal"):
        quality.check_snapshot(dsn, result["cutoff_id"])


def test_quality_suite_reads_only_its_cutoff(dsn, storage, bucket):
    september = pipeline.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, seed=1, prefix="a"), storage)
    october = pipeline.run_snapshot(dsn, "2020-10", _cutoff(storage, bucket, seed=2, prefix="b", students=4_000,
                                                              cutoff_date="2020-10-11"), storage)
    assert september["quality"]["failed"] == october["quality"]["failed"] == 0
    # Row counts differ by cutoff, so a suite that saw both cutoffs would fail its count.
    assert query(dsn, "SELECT count(DISTINCT cutoff_id) FROM snapshot.peserta_didik") == [(2,)]


def test_type_rules_agree_with_the_calendar_and_uuid_parsers(dsn):
    import datetime
    import uuid

    day, texts = datetime.date(1899, 12, 25), []
    while day < datetime.date(2101, 1, 5):  # leap rules of 1900, 2000, 2100 included
        texts.append(day.isoformat())
        day += datetime.timedelta(days=1)
    wrong = [f"{y}-{m:02d}-{d:02d}" for y in (1900, 2019, 2020, 2100) for m in range(0, 14) for d in range(0, 33)]
    wrong += ["2020-1-01", "20200101", "2020/01/01", "2020-01-01 ", "x", "", "0999-01-01", "3020-01-01"]
    rows = query(dsn, "SELECT v, snapshot.is_date(v) FROM unnest(%s::text[]) v", (texts + wrong,))

    def real(v):
        try:
            return 1000 <= datetime.date.fromisoformat(v).year <= 2999 and len(v) == 10 and v[0] in "12"
        except ValueError:
            return False
    assert [v for v, ok in rows if ok != real(v)] == []

    good = [str(uuid.UUID(int=i * 0x9E3779B97F4A7C15F39CC0605CEDC834 % (1 << 128))) for i in range(200)]
    bad = [g.replace("-", "", 1) for g in good[:5]] + [g[:-1] + "g" for g in good[:5]] + [g[1:] for g in good[:5]]
    bad += ["{" + good[0] + "}", good[0].replace("-", ""), good[0] + "0", "-" * 36, ""]
    rows = query(dsn, "SELECT v, snapshot.is_uuid(v) FROM unnest(%s::text[]) v", (good + [g.upper() for g in good] + bad,))
    assert [v for v, ok in rows if ok != (v in good or v.lower() in good)] == []
