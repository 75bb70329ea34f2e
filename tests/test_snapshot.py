"""Stage 1 against the real stack: manifest checks, malformed rows, unreadable files (each named
by file, line and rule), the volume against the previous cutoff, idempotent reloads."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
from conftest import query
from helpers import labels, read_csv, rewrite_manifest

from kuota.bulanan import quality, snapshot
from kuota.infra import migrations
from kuota.infra.errors import ContractError, QualityError
from kuota.infra.storage import join
from kuota_tools import generator


def _cutoff(storage, bucket, seed=11, students=3_000, prefix="cutoff", cutoff_date="2020-09-11"):
    uri = f"s3://{bucket}/{prefix}"
    generator.generate(uri, generator.Scale.for_students(students), seed=seed, cutoff_date=cutoff_date, storage=storage)
    return uri


def _replace_file(storage, uri, name, data: bytes, rows: int | None = None):
    """Store ``data`` (uncompressed) as the export's file ``name``, with the manifest agreeing."""
    raw = gzip.compress(data)
    storage.write_bytes(join(uri, name), raw)

    def edit(m):
        m["files"][name]["sha256"] = hashlib.sha256(raw).hexdigest()
        if rows is not None:
            m["files"][name]["rows"] = rows

    rewrite_manifest(storage, uri, edit)


def _edit_line(storage, uri, name, line: int, edit) -> list[str]:
    """Line ``line`` (header = 1) of the file, parsed, changed by ``edit`` and written back as
    CSV; returns the row as it was."""
    lines = gzip.decompress(storage.read_bytes(join(uri, name))).split(b"\n")
    row = next(csv.reader([lines[line - 1].decode()]))
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(edit(list(row)))
    lines[line - 1] = out.getvalue().encode("utf-8", "surrogateescape")
    _replace_file(storage, uri, name, b"\n".join(lines))
    return row


def _counts(dsn):
    return dict(
        query(
            dsn,
            "SELECT 'pd', count(*) FROM snapshot.peserta_didik UNION ALL "
            "SELECT 'ptk', count(*) FROM snapshot.ptk UNION ALL "
            "SELECT 'sekolah', count(*) FROM snapshot.sekolah UNION ALL "
            "SELECT 'invalid', count(*) FROM snapshot.format_tidak_valid",
        )
    )


@pytest.mark.parametrize("seed", [3, 29])
@pytest.mark.heavy
def test_every_malformed_row_is_reported_with_its_line(dsn, storage, bucket, seed):
    uri = _cutoff(storage, bucket, seed=seed)
    result = snapshot.run_snapshot(dsn, "2020-09", uri, storage)

    planted = labels(storage, uri)["format_tidak_valid"]
    reported = query(dsn, "SELECT tabel, baris, id_rekaman::text, pelanggaran FROM snapshot.format_tidak_valid")
    assert {r[2] for r in reported} == planted
    # The line number points at the row in the file as stored (header = line 1).
    for tabel, baris, rid, rule in reported:
        lines = read_csv(storage, join(uri, f"{tabel}.csv.gz"))
        assert lines[baris - 1][0] == rid, (tabel, baris, rule)
        assert rule
    # Nothing lost: every manifest row is loaded or reported.
    for counts in result["tables"].values():
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

    snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    rows = query(dsn, "SELECT baris, pelanggaran FROM snapshot.format_tidak_valid WHERE tabel = 'ptk'")
    assert (3, "row has 11 fields, the contract has 14") in rows


def test_checksum_mismatch_names_the_file_and_loads_nothing(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    rewrite_manifest(storage, uri, lambda m: m["files"]["peserta_didik.csv.gz"].update(sha256="0" * 64))

    with pytest.raises(ContractError, match=r"peserta_didik\.csv\.gz: sha256 .* does not match"):
        snapshot.verify_cutoff(storage, uri)
    # Even past verification (a file changed between tasks) the load refuses it.
    manifest = snapshot.read_manifest(storage, uri)
    with pytest.raises(ContractError, match=r"peserta_didik\.csv\.gz: sha256 .*nothing loaded"):
        snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    counts = _counts(dsn)
    assert counts["pd"] == 0 and counts["ptk"] == 0
    assert counts["sekolah"] > 0  # good data already loaded stays


def test_row_count_mismatch_names_the_file_and_loads_nothing(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(rows=m["files"]["ptk.csv.gz"]["rows"] + 1))
    manifest = snapshot.verify_cutoff(storage, uri)  # sha256 still matches
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: \d+ data rows, the manifest says \d+; nothing loaded"):
        snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    assert _counts(dsn)["ptk"] == 0


def test_missing_manifest_or_file_is_named(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    storage.s3.delete_object(Bucket=bucket, Key="cutoff/ptk.csv.gz")
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: listed in manifest\.json but not stored"):
        snapshot.verify_cutoff(storage, uri)
    storage.s3.delete_object(Bucket=bucket, Key="cutoff/manifest.json")
    with pytest.raises(ContractError, match=r"manifest\.json: missing"):
        snapshot.verify_cutoff(storage, uri)


def test_header_that_breaks_the_contract_is_refused(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    data = gzip.decompress(storage.read_bytes(join(uri, "ptk.csv.gz"))).replace(b"nuptk,nik", b"nik,nuptk", 1)
    raw = gzip.compress(data)
    storage.write_bytes(join(uri, "ptk.csv.gz"), raw)
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256=hashlib.sha256(raw).hexdigest()))
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: line 1: header"):
        snapshot.run_snapshot(dsn, "2020-09", uri, storage)


@pytest.mark.parametrize(("table", "column"), [("peserta_didik", "peserta_didik_id"), ("ptk", "ptk_id")])
def test_a_repeated_id_is_reported_with_the_line_it_repeats_and_the_first_is_loaded(
    dsn, storage, bucket, table, column
):
    """The same id again, in capitals or as it was: every later line is refused as a duplicate
    of the first, which loads."""
    uri = f"s3://{bucket}/ulang"
    _cutoff(storage, bucket, prefix="ulang")
    data = gzip.decompress(storage.read_bytes(join(uri, f"{table}.csv.gz"))).decode().splitlines()
    first = data[2].split(",", 1)[0]  # line 3's id
    data[4] = ",".join([first.upper(), data[4].split(",", 1)[1]])  # line 5
    data[6] = ",".join([first, data[6].split(",", 1)[1]])  # line 7
    raw = gzip.compress(("\n".join(data) + "\n").encode())
    storage.write_bytes(join(uri, f"{table}.csv.gz"), raw)
    rewrite_manifest(
        storage, uri, lambda m: m["files"][f"{table}.csv.gz"].update(sha256=hashlib.sha256(raw).hexdigest())
    )

    snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    rows = query(dsn, "SELECT baris, pelanggaran FROM snapshot.format_tidak_valid WHERE tabel = %s", (table,))
    assert (5, f"{column}: duplicate of line 3") in rows and (7, f"{column}: duplicate of line 3") in rows
    assert not [r for r in rows if r[0] == 3]
    assert query(dsn, f"SELECT baris FROM snapshot.{table} WHERE {column} = %s", (first,)) == [(3,)]


def test_loads_at_once_take_turns_on_the_staging_tables(dsn, storage, bucket):
    """The staging tables have fixed names, one loader per table at a time: the same cutoff
    loaded twice at once loads once; another cutoff loaded beside it waits, then loads."""
    first = _cutoff(storage, bucket)
    other = _cutoff(storage, bucket, seed=12, prefix="other", cutoff_date="2020-10-11")
    manifests = [snapshot.read_manifest(storage, uri) for uri in (first, first, other)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda m: snapshot.load_cutoff(dsn, storage, m), manifests))

    assert results[0]["cutoff_id"] == results[1]["cutoff_id"] != results[2]["cutoff_id"]
    for table in ("sekolah", "peserta_didik", "ptk"):
        assert sorted(r["tables"][table]["skipped"] for r in results[:2]) == [False, True]
        assert not results[2]["tables"][table]["skipped"]
    loaded = dict(query(dsn, "SELECT cutoff_id, count(*) FROM snapshot.peserta_didik GROUP BY 1"))
    assert loaded == {r["cutoff_id"]: r["tables"]["peserta_didik"]["loaded_rows"] for r in results}
    assert _work_tables(dsn) == []


@pytest.mark.heavy
def test_loading_the_same_cutoff_twice_is_a_no_op(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    first = snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    before = _counts(dsn)
    again = snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    # The same export under another prefix is the same cutoff.
    for name in ("sekolah.csv.gz", "peserta_didik.csv.gz", "ptk.csv.gz", "manifest.json"):
        storage.s3.copy_object(
            Bucket=bucket, Key=f"copy/{name}", CopySource={"Bucket": bucket, "Key": f"cutoff/{name}"}
        )
    copied = snapshot.run_snapshot(dsn, "2020-09", f"s3://{bucket}/copy", storage)

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
        snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    assert _counts(dsn)["ptk"] == 0 and _counts(dsn)["pd"] > 0
    assert _work_tables(dsn) == []  # the staging tables went with the failed transaction

    storage.write_bytes(join(uri, "ptk.csv.gz"), good)  # Dapodik re-uploads the file
    result = snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    assert result["tables"]["sekolah"]["skipped"] and result["tables"]["peserta_didik"]["skipped"]
    assert not result["tables"]["ptk"]["skipped"]
    assert _counts(dsn)["ptk"] == result["tables"]["ptk"]["loaded_rows"] > 0
    assert _work_tables(dsn) == []


def _work_tables(dsn) -> list:
    """The load's unlogged staging and check tables, which live only inside its transaction."""
    return query(
        dsn,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'snapshot' AND tablename ~ '^(staging|checked|repeated)_'",
    )


def test_a_cutoff_date_never_changes_content(dsn, storage, bucket):
    snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, seed=1, prefix="a"), storage)
    with pytest.raises(ContractError, match=r"cutoff 2020-09-11 is already loaded with other files"):
        snapshot.run_snapshot(dsn, "2020-10", _cutoff(storage, bucket, seed=2, prefix="b"), storage)
    # A period never silently moves to another cutoff either.
    other = _cutoff(storage, bucket, seed=2, prefix="c", cutoff_date="2020-10-11")
    with pytest.raises(ContractError, match=r"periode 2020-09 already runs on cutoff .*; nothing loaded"):
        snapshot.run_snapshot(dsn, "2020-09", other, storage)
    # Refused before the export costs a load: it is not even registered.
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff WHERE cutoff_date = '2020-10-11'") == [(0,)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE snapshot.peserta_didik SET nomor_hp = '081100000000'",
        "DELETE FROM snapshot.ptk",
        "TRUNCATE snapshot.sekolah CASCADE",
        "UPDATE snapshot.cutoff SET cutoff_date = '2020-01-01'",
    ],
)
@pytest.mark.heavy
def test_the_snapshot_is_immutable(dsn, storage, bucket, statement):
    snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="immutable"):
        query(dsn, statement + " RETURNING 1" if not statement.startswith("TRUNCATE") else statement)


def test_each_cutoff_is_a_partition_of_its_own_that_only_the_load_makes(dsn, storage, bucket):
    """Migration 0014: a cutoff's pupils and PTK sit in a partition of their own, indexed by
    its primary key alone, and as immutable as the rest of the snapshot."""
    cutoff_id = snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)["cutoff_id"]
    parts = """SELECT i.inhparent::regclass::text, c.oid::regclass::text, pg_get_expr(c.relpartbound, c.oid)
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent IN ('snapshot.peserta_didik'::regclass, 'snapshot.ptk'::regclass) ORDER BY 1"""
    expected = [
        ("snapshot.peserta_didik", f"snapshot.peserta_didik_{cutoff_id}", f"FOR VALUES IN ('{cutoff_id}')"),
        ("snapshot.ptk", f"snapshot.ptk_{cutoff_id}", f"FOR VALUES IN ('{cutoff_id}')"),
    ]
    assert query(dsn, parts) == expected
    counts = _counts(dsn)
    assert query(
        dsn,
        f"SELECT (SELECT count(*) FROM snapshot.peserta_didik_{cutoff_id}), "
        f"(SELECT count(*) FROM snapshot.ptk_{cutoff_id})",
    ) == [(counts["pd"], counts["ptk"])]
    assert counts["pd"] > 3_000 * 0.9
    assert query(
        dsn,
        """SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'snapshot'
           AND tablename IN (%s, %s) ORDER BY 1""",
        (f"peserta_didik_{cutoff_id}", f"ptk_{cutoff_id}"),
    ) == [
        (
            f"peserta_didik_{cutoff_id}",
            f"CREATE UNIQUE INDEX peserta_didik_{cutoff_id}_pkey ON snapshot.peserta_didik_"
            f"{cutoff_id} USING btree (cutoff_id, peserta_didik_id)",
        ),
        (
            f"ptk_{cutoff_id}",
            f"CREATE UNIQUE INDEX ptk_{cutoff_id}_pkey ON snapshot.ptk_{cutoff_id} USING btree (cutoff_id, ptk_id)",
        ),
    ]
    for statement in (
        f"TRUNCATE snapshot.peserta_didik_{cutoff_id}",
        f"DELETE FROM snapshot.ptk_{cutoff_id} RETURNING 1",
        f"UPDATE snapshot.peserta_didik_{cutoff_id} SET nama = 'x' RETURNING 1",
    ):
        with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="immutable"):
            query(dsn, statement)
    with pytest.raises(psycopg2.errors.CheckViolation, match="only peserta_didik and ptk"):
        query(dsn, "SELECT snapshot.bagian_cutoff('sekolah', %s)", (cutoff_id,))
    # A cutoff never loaded has no partition: its rows have nowhere to go.
    with pytest.raises(psycopg2.errors.CheckViolation, match="no partition"):
        columns = (
            "baris, ptk_id, nuptk, nik, nama, jenis_kelamin, tanggal_lahir, nama_ibu_kandung, jenis_ptk, sekolah_id"
        )
        query(
            dsn,
            f"INSERT INTO snapshot.ptk (cutoff_id, {columns}, ptk_induk, status, nomor_hp) "
            f"SELECT cutoff_id + 1, {columns}, ptk_induk, status, nomor_hp FROM snapshot.ptk LIMIT 1 RETURNING 1",
        )
    # Made and attached again (a load that committed no row, run again): kept as it is.
    for _ in range(2):
        assert query(dsn, "SELECT snapshot.bagian_cutoff('ptk', %s)", (cutoff_id,)) == [(f"snapshot.ptk_{cutoff_id}",)]
        query(dsn, "SELECT snapshot.pasang_cutoff('ptk', %s)", (cutoff_id,))
    assert query(dsn, parts) == expected


@pytest.mark.heavy
def test_quality_suite_fails_when_rows_do_not_add_up(dsn, storage, bucket):
    result = snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)
    # A report row with no missing row behind it: the snapshot no longer adds up to the manifest.
    query(
        dsn,
        "INSERT INTO snapshot.format_tidak_valid VALUES (%s, 'sekolah', 999999, NULL, 'forged') RETURNING 1",
        (result["cutoff_id"],),
    )
    with pytest.raises(QualityError, match=r"quality\.snapshot_sekolah: expect_table_row_count_to_equal"):
        quality.check_snapshot(dsn, result["cutoff_id"])


@pytest.mark.heavy
def test_quality_suite_reads_only_its_cutoff(dsn, storage, bucket):
    # Two unrelated exports: their volumes differ in every table, a known change here.
    query(
        dsn,
        """INSERT INTO kuota.kebijakan VALUES ('pengecualian_volume_cutoff', %s, '2020-10-01', 'test')
                  RETURNING 1""",
        (
            json.dumps(
                [
                    {"periode": "2020-10", "tabel": t, "alasan": "test: unrelated exports"}
                    for t in ("sekolah", "peserta_didik", "ptk")
                ]
            ),
        ),
    )
    september = snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, seed=1, prefix="a"), storage)
    october = snapshot.run_snapshot(
        dsn, "2020-10", _cutoff(storage, bucket, seed=2, prefix="b", students=4_000, cutoff_date="2020-10-11"), storage
    )
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
    rows = query(
        dsn, "SELECT v, snapshot.is_uuid(v) FROM unnest(%s::text[]) v", (good + [g.upper() for g in good] + bad,)
    )
    assert [v for v, ok in rows if ok != (v in good or v.lower() in good)] == []


def test_type_rules_answer_as_their_first_regular_expressions_did(dsn):
    """Migration 0011 made is_uuid and is_date cheaper; on texts built to sit at every edge of
    the rules (a dash more or moved, a letter past f, a digit that is not ASCII, one character
    more or less, NULL) they answer exactly as the anchored expressions of 0001 did."""
    import random
    import uuid

    rng = random.Random(11)
    uuid_like = str(uuid.UUID(int=rng.getrandbits(128)))
    texts = [None, "", "-", "1-99-01-01", "2020-01-01-", "2020-0101-1", "２０２０-01-01", "2020-1２-01"]
    for base, alphabet in ((uuid_like, "0123456789abcdefABCDEFg-x２ "), ("2020-02-29", "0123456789-/x２ ")):
        for _ in range(4_000):
            chars = list(base)
            for _ in range(rng.choice((0, 1, 1, 2))):
                spot = rng.randrange(len(chars) + 1)
                edit = rng.choice(("swap", "insert", "delete"))
                if edit == "insert":
                    chars.insert(spot, rng.choice(alphabet))
                elif chars and spot < len(chars):
                    chars[spot] = rng.choice(alphabet) if edit == "swap" else ""
            texts.append("".join(chars))
    rows = query(
        dsn,
        """
        SELECT v, snapshot.is_uuid(v), snapshot.is_date(v),
               length(v) = 36
                 AND v ~ '^[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+$'
                 AND substr(v, 9, 1) = '-' AND substr(v, 14, 1) = '-' AND substr(v, 19, 1) = '-'
                 AND substr(v, 24, 1) = '-',
               CASE WHEN v ~ '^[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]$'
                 THEN substr(v, 6, 2)::int BETWEEN 1 AND 12
                  AND substr(v, 9, 2)::int BETWEEN 1 AND snapshot.days_in_month(substr(v, 1, 4)::int,
                                                                              substr(v, 6, 2)::int)
                 ELSE false END
        FROM unnest(%s::text[]) v
        """,
        (texts,),
    )
    assert sum(1 for _, uuid_now, _, _, _ in rows if uuid_now) > 500  # the corpus reaches both answers
    assert sum(1 for _, _, date_now, _, _ in rows if date_now) > 500
    assert [r for r in rows if r[1] is not r[3] or r[2] is not r[4]] == []


def test_a_nul_byte_names_the_file_its_line_and_the_rule_and_loads_nothing(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    row = _edit_line(storage, uri, "peserta_didik.csv.gz", 5, lambda r: r[:3] + [r[3][:2] + "\x00" + r[3][2:]] + r[4:])
    manifest = snapshot.verify_cutoff(storage, uri)
    with pytest.raises(ContractError) as raised:
        snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    message = str(raised.value)
    assert f"{uri}/peserta_didik.csv.gz: line 5: field nama holds a NUL byte (0x00)" in message, message
    assert row[3] not in message and row[0] not in message  # no personal data, not even the id
    assert _counts(dsn)["pd"] == 0
    assert query(dsn, "SELECT tabel FROM snapshot.cutoff_file ORDER BY 1") == [("sekolah",)]


@pytest.mark.parametrize("line", [2, 150])
def test_a_byte_that_is_not_utf8_names_its_line_not_an_offset(dsn, storage, bucket, line):
    uri = _cutoff(storage, bucket)
    lines = gzip.decompress(storage.read_bytes(join(uri, "ptk.csv.gz"))).split(b"\n")
    lines[line - 1] = lines[line - 1].replace(b",", b",\xff", 1)  # in nuptk
    _replace_file(storage, uri, "ptk.csv.gz", b"\n".join(lines))
    manifest = snapshot.verify_cutoff(storage, uri)
    with pytest.raises(ContractError) as raised:
        snapshot.load_snapshot(dsn, storage, manifest, "2020-09")
    message = str(raised.value)
    assert f"{uri}/ptk.csv.gz: line {line}: byte 0xFF is not UTF-8" in message, message
    assert "position" not in message and "offset" not in message
    assert _counts(dsn)["ptk"] == 0


def test_broken_quoting_names_its_line(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    lines = gzip.decompress(storage.read_bytes(join(uri, "sekolah.csv.gz"))).split(b"\n")
    lines[3] = lines[3].replace(b",", b',"x"y,', 1)
    _replace_file(storage, uri, "sekolah.csv.gz", b"\n".join(lines))
    with pytest.raises(ContractError, match=r"sekolah\.csv\.gz: line 4: not CSV as RFC 4180 quotes it"):
        snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    assert _counts(dsn)["sekolah"] == 0


@pytest.mark.heavy
def test_a_cutoff_that_lost_its_rows_fails_check_snapshot_until_the_policy_waives_it(dsn, storage, bucket, caplog):
    caplog.set_level(logging.INFO, logger="kuota")
    september = snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, prefix="sep"), storage)

    # October: the same schools and teachers, but peserta_didik.csv.gz holds only its header.
    uri = _cutoff(storage, bucket, prefix="oct", cutoff_date="2020-10-11")
    header = gzip.decompress(storage.read_bytes(join(uri, "peserta_didik.csv.gz"))).split(b"\n")[0]
    _replace_file(storage, uri, "peserta_didik.csv.gz", header + b"\n", rows=0)
    with pytest.raises(QualityError) as raised:
        snapshot.run_snapshot(dsn, "2020-10", uri, storage)
    message = str(raised.value)
    provinces = [
        p
        for (p,) in query(
            dsn,
            """SELECT DISTINCT s.kode_provinsi FROM snapshot.peserta_didik p
                                          JOIN snapshot.sekolah s USING (cutoff_id, sekolah_id) ORDER BY 1""",
        )
    ]
    assert provinces
    for provinsi in provinces:
        assert (
            f"snapshot volume: peserta_didik in province {provinsi}: 0 rows, the previous cutoff 2020-09-11" in message
        )
    assert "-100.0%" in message and "ambang_volume_cutoff allows ±20%" in message
    assert "snapshot volume: sekolah" not in message and "snapshot volume: ptk" not in message
    assert "pengecualian_volume_cutoff" in message
    ((october,),) = query(dsn, "SELECT cutoff_id FROM snapshot.cutoff WHERE cutoff_date = '2020-10-11'")

    # A waiver for one province leaves the others failing.
    query(
        dsn,
        """INSERT INTO kuota.kebijakan VALUES ('pengecualian_volume_cutoff', %s, '2020-10-01', 'test')
                  RETURNING 1""",
        (
            json.dumps(
                [{"periode": "2020-10", "tabel": "peserta_didik", "kode_provinsi": provinces[0], "alasan": "test"}]
            ),
        ),
    )
    with pytest.raises(QualityError) as raised:
        quality.check_snapshot(dsn, october, "2020-10")
    assert f"peserta_didik in province {provinces[0]}:" not in str(raised.value)
    assert all(f"peserta_didik in province {p}:" in str(raised.value) for p in provinces[1:])

    # A waiver for the whole table, in force from the period's first day, lets it pass.
    query(
        dsn,
        """INSERT INTO kuota.kebijakan VALUES ('pengecualian_volume_cutoff', %s, '2020-10-02', 'test')
                  RETURNING 1""",
        (json.dumps([{"periode": "2020-10", "tabel": "peserta_didik", "alasan": "test"}]),),
    )
    with pytest.raises(QualityError):  # not in force on the period's first day
        quality.check_snapshot(dsn, october, "2020-10")
    query(
        dsn,
        "DELETE FROM kuota.kebijakan WHERE nama = 'pengecualian_volume_cutoff' AND berlaku_mulai >= '2020-10-01'"
        " RETURNING 1",
    )
    query(
        dsn,
        """INSERT INTO kuota.kebijakan VALUES ('pengecualian_volume_cutoff', %s, '2020-10-01', 'test')
                  RETURNING 1""",
        (json.dumps([{"periode": "2020-10", "tabel": "peserta_didik", "alasan": "test"}]),),
    )
    result = quality.check_snapshot(dsn, october, "2020-10")
    assert result["volume"] == {
        "periode": "2020-10",
        "previous_cutoff_id": september["cutoff_id"],
        "outside": 0,
        "waived": len(provinces),
    }
    # The first cutoff had nothing to compare with: it passed, and its log says so.
    assert september["quality"]["volume"]["previous_cutoff_id"] is None
    assert "the first cutoff loaded (none with an earlier cutoff_date): no volume to compare with" in caplog.text
    # The waiver is for 2020-10 only: the same cutoff judged for another period fails.
    with pytest.raises(QualityError, match="peserta_didik in province"):
        quality.check_snapshot(dsn, october, "2020-11")


@pytest.mark.heavy
def test_the_threshold_is_a_policy(dsn, storage, bucket):
    snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket, prefix="sep"), storage)
    uri = _cutoff(storage, bucket, prefix="oct", cutoff_date="2020-10-11")
    header, *rows = gzip.decompress(storage.read_bytes(join(uri, "ptk.csv.gz"))).rstrip(b"\n").split(b"\n")
    kept = [r for i, r in enumerate(rows) if i % 3]  # a third of the teachers gone, in every school
    _replace_file(storage, uri, "ptk.csv.gz", b"\n".join([header, *kept]) + b"\n", rows=len(kept))
    with pytest.raises(QualityError, match=r"snapshot volume: ptk in province \d\d: .*allows ±20%"):
        snapshot.run_snapshot(dsn, "2020-10", uri, storage)
    ((october,),) = query(dsn, "SELECT cutoff_id FROM snapshot.cutoff WHERE cutoff_date = '2020-10-11'")
    # A looser threshold from the period's first day: only a province emptied would fail.
    query(dsn, "INSERT INTO kuota.kebijakan VALUES ('ambang_volume_cutoff', '1', '2020-10-01', 'test') RETURNING 1")
    assert quality.check_snapshot(dsn, october, "2020-10")["volume"]["outside"] == 0


def test_a_bad_periode_is_refused_before_anything_is_loaded(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    manifest = snapshot.verify_cutoff(storage, uri)
    for bad in ("2020-13", "2020-9", "202009", "", None):
        with pytest.raises(ContractError, match=r"periode .* is not YYYY-MM"):
            snapshot.load_snapshot(dsn, storage, manifest, bad)
        with pytest.raises(ContractError, match=r"periode .* is not YYYY-MM"):
            snapshot.run_snapshot(dsn, bad, uri, storage)
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(0,)]
    assert _counts(dsn) == {"pd": 0, "ptk": 0, "sekolah": 0, "invalid": 0}


@pytest.mark.parametrize("extra", ["labels.csv.gz", "peserta_didik.csv"])
def test_a_manifest_entry_that_is_not_a_cutoff_file_is_refused_by_name(dsn, storage, bucket, extra):
    uri = _cutoff(storage, bucket)
    storage.write_bytes(join(uri, extra), b"")
    rewrite_manifest(storage, uri, lambda m: m["files"].update({extra: {"rows": 0, "sha256": "0" * 64}}))
    with pytest.raises(ContractError, match=rf"manifest\.json lists '{extra}', not a file of the cutoff export"):
        snapshot.verify_cutoff(storage, uri)
    with pytest.raises(ContractError, match=rf"'{extra}'"):
        snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(0,)]


def test_volume_counts_match_the_snapshot_and_are_backfilled_for_older_cutoffs(dsn, storage, bucket):
    snapshot.run_snapshot(dsn, "2020-09", _cutoff(storage, bucket), storage)
    truth = """SELECT 'sekolah', kode_provinsi::text, count(*) FROM snapshot.sekolah GROUP BY 2 UNION ALL
               SELECT 'peserta_didik', s.kode_provinsi::text, count(*) FROM snapshot.peserta_didik
                 JOIN snapshot.sekolah s USING (cutoff_id, sekolah_id) GROUP BY 2 UNION ALL
               SELECT 'ptk', s.kode_provinsi::text, count(*) FROM snapshot.ptk
                 JOIN snapshot.sekolah s USING (cutoff_id, sekolah_id) GROUP BY 2 ORDER BY 1, 2"""
    counted = "SELECT tabel, kode_provinsi, baris FROM snapshot.cutoff_volume ORDER BY 1, 2"
    assert query(dsn, counted) == query(dsn, truth) != []
    # A cutoff loaded by a warehouse from before the counts and the version table: migrating
    # it counts the cutoff once.
    query(
        dsn,
        "ALTER TABLE snapshot.cutoff_volume DISABLE TRIGGER USER; DELETE FROM snapshot.cutoff_volume; "
        "ALTER TABLE snapshot.cutoff_volume ENABLE TRIGGER USER; DROP TABLE kuota.schema_version",
    )
    migrations.migrate(dsn)
    assert query(dsn, counted) == query(dsn, truth)


def _plain_copy(storage, uri, out_uri, cutoff_date=None):
    """The export at ``uri`` stored again at ``out_uri`` as plain ``.csv`` files (the contract
    allows both), with a manifest keyed by the plain names."""
    manifest = json.loads(storage.read_bytes(join(uri, "manifest.json")))
    files = {}
    for name, entry in manifest["files"].items():
        data = gzip.decompress(storage.read_bytes(join(uri, name)))
        plain = name.removesuffix(".gz")
        storage.write_bytes(join(out_uri, plain), data)
        files[plain] = {"rows": entry["rows"], "sha256": hashlib.sha256(data).hexdigest()}
    manifest["files"] = files
    if cutoff_date:
        manifest["cutoff_date"] = cutoff_date
    storage.write_bytes(join(out_uri, "manifest.json"), json.dumps(manifest).encode())
    return out_uri


@pytest.mark.heavy
def test_a_cutoff_of_plain_csv_files_loads_like_its_gzip(dsn, storage, bucket, tmp_path):
    uri = _cutoff(storage, bucket)
    gz = snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    # The same rows as plain .csv, on disk and in S3; another cutoff_date each (one date, one content).
    local = _plain_copy(storage, uri, str(tmp_path / "plain"), cutoff_date="2020-10-11")
    s3 = _plain_copy(storage, uri, f"s3://{bucket}/plain", cutoff_date="2020-11-11")
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == [
        "manifest.json",
        "peserta_didik.csv",
        "ptk.csv",
        "sekolah.csv",
    ]
    for periode, plain_uri in (("2020-10", local), ("2020-11", s3)):
        plain = snapshot.run_snapshot(dsn, periode, plain_uri, storage)
        assert plain["cutoff_id"] != gz["cutoff_id"]
        assert {t: (c["manifest_rows"], c["loaded_rows"], c["invalid_rows"]) for t, c in plain["tables"].items()} == {
            t: (c["manifest_rows"], c["loaded_rows"], c["invalid_rows"]) for t, c in gz["tables"].items()
        }
        assert plain["quality"]["failed"] == 0
    per_cutoff = """SELECT c.cutoff_date::text, f.tabel, f.file_name, f.loaded_rows, f.invalid_rows
                    FROM snapshot.cutoff_file f JOIN snapshot.cutoff c USING (cutoff_id) ORDER BY 2, 1"""
    rows = query(dsn, per_cutoff)
    assert len(rows) == 9
    for tabel in ("sekolah", "peserta_didik", "ptk"):
        mine = [r for r in rows if r[1] == tabel]
        assert [r[2] for r in mine] == [f"{tabel}.csv.gz", f"{tabel}.csv", f"{tabel}.csv"]
        assert len({r[3:] for r in mine}) == 1
    for table in ("peserta_didik", "ptk", "sekolah"):
        assert len(set(query(dsn, f"SELECT cutoff_id, count(*) FROM snapshot.{table} GROUP BY 1"))) == 3


def _break_sekolah_sha256(storage, uri):
    rewrite_manifest(storage, uri, lambda m: m["files"]["sekolah.csv.gz"].update(sha256="0" * 64))


def _break_sekolah_quoting(storage, uri):
    lines = gzip.decompress(storage.read_bytes(join(uri, "sekolah.csv.gz"))).split(b"\n")
    lines[3] = lines[3].replace(b",", b',"x"y,', 1)
    _replace_file(storage, uri, "sekolah.csv.gz", b"\n".join(lines))


@pytest.mark.parametrize("damage", [_break_sekolah_sha256, _break_sekolah_quoting])
def test_a_load_that_failed_before_any_table_was_loaded_leaves_nothing_and_takes_corrected_files(
    dsn, storage, bucket, damage
):
    uri = _cutoff(storage, bucket)
    good = {name: storage.read_bytes(join(uri, name)) for name in ("sekolah.csv.gz", "manifest.json")}
    damage(storage, uri)
    with pytest.raises(ContractError, match=r"sekolah\.csv\.gz: .*nothing loaded"):
        snapshot.load_snapshot(dsn, storage, snapshot.read_manifest(storage, uri), "2020-09")
    # Nothing was loaded, so nothing of the cutoff is left: not even its row.
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(0,)]
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff_file") == [(0,)]
    assert _counts(dsn) == {"pd": 0, "ptk": 0, "sekolah": 0, "invalid": 0}

    for name, data in good.items():  # Dapodik sends the export again, corrected: another manifest
        storage.write_bytes(join(uri, name), data)
    result = snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    assert not any(t["skipped"] for t in result["tables"].values())
    assert result["quality"]["failed"] == 0
    assert _counts(dsn)["pd"] == result["tables"]["peserta_didik"]["loaded_rows"] > 0
    assert query(dsn, "SELECT count(*) FROM snapshot.cutoff") == [(1,)]
    # Once loaded, the cutoff is immutable: other files for its date are refused (for any period).
    _break_sekolah_sha256(storage, uri)
    with pytest.raises(ContractError, match=r"cutoff 2020-09-11 is already loaded with other files"):
        snapshot.load_snapshot(dsn, storage, snapshot.read_manifest(storage, uri), "2020-10")


def test_a_partly_loaded_cutoff_keeps_the_manifest_its_tables_were_loaded_by(dsn, storage, bucket):
    uri = _cutoff(storage, bucket)
    good = storage.read_bytes(join(uri, "manifest.json"))
    rewrite_manifest(storage, uri, lambda m: m["files"]["ptk.csv.gz"].update(sha256="0" * 64))
    with pytest.raises(ContractError, match=r"ptk\.csv\.gz: sha256 .*nothing loaded"):
        snapshot.load_snapshot(dsn, storage, snapshot.read_manifest(storage, uri), "2020-09")
    # sekolah and peserta_didik are in, by the manifest that listed them (the cutoff's row,
    # immutable, holds it): another manifest is refused, and the refusal says what is in.
    storage.write_bytes(join(uri, "manifest.json"), good)
    with pytest.raises(
        ContractError,
        match=r"cutoff 2020-09-11 is partly loaded \(sekolah, peserta_didik\) from an "
        r"export with other files",
    ):
        snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    assert query(dsn, "SELECT tabel FROM snapshot.cutoff_file ORDER BY 1") == [("peserta_didik",), ("sekolah",)]


def test_a_long_step_logs_its_progress_every_30_seconds_with_rate_and_time_left(caplog):
    """A clock the test moves: nothing logged before 30 s have passed, then one line with what
    is done, the rate, the share and the time left; one more at the end."""
    import logging

    from kuota.infra.progress import Progress

    now = [100.0]
    log = logging.getLogger("kuota.test.progress")
    progress = Progress(log, "peserta_didik.csv.gz: staged", total=1_000_000, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="kuota.test.progress"):
        progress.add(100_000)
        now[0] += 29
        progress.add(100_000)
        assert caplog.messages == []
        now[0] += 11
        progress.add(200_000)
        assert caplog.messages == [
            "peserta_didik.csv.gz: staged: 400,000 rows in 40 s (10,000 rows/s), 40% of 1,000,000, about 60 s left"
        ]
        now[0] += 5
        progress.add(10)
        assert len(caplog.messages) == 1  # not again before another 30 s
        progress.finish()
        assert caplog.messages[-1].endswith(", done") and len(caplog.messages) == 2


def test_a_long_statement_says_it_is_still_running_until_it_ends(caplog):
    """One SQL statement cannot count its rows: a line per interval while it runs, none after."""
    import logging
    import re
    import threading

    from kuota.infra.progress import alive

    log = logging.getLogger("kuota.test.alive")
    with caplog.at_level(logging.INFO, logger="kuota.test.alive"):
        with alive(log, "screening part 2 of 3, screen_kemiripan", every=0.05):
            threading.Event().wait(0.28)
        lines = list(caplog.messages)
        threading.Event().wait(0.15)
    assert 3 <= len(lines) <= 6, lines
    assert all(re.fullmatch(r"screening part 2 of 3, screen_kemiripan: still running, \d+ s so far", m) for m in lines)
    assert caplog.messages == lines  # nothing once it is done
