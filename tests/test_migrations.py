"""Versioned migrations: each numbered file applied once and recorded; an old warehouse (made
before the version table) migrates to exactly the schema of a new one; edited or unknown
migrations are refused before anything is applied."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg2
import pytest
from conftest import new_database, query

from kuota.infra import db, migrations
from kuota.infra.errors import MigrationError

OLD_WAREHOUSE = Path(__file__).parent / "data" / "warehouse_before_versions.sql"
VERSIONS = [m.version for m in migrations.available()]

# The shape of a warehouse, as sets (a column added by ALTER comes last in an old table and
# in place in a new one: the order is not the schema).
SHAPE = {
    "columns": """SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
                  FROM information_schema.columns WHERE table_schema IN ('kuota', 'snapshot', 'quality')""",
    "constraints": """SELECT n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                      WHERE n.nspname IN ('kuota', 'snapshot', 'quality')""",
    "indexes": """SELECT schemaname, indexname, indexdef FROM pg_indexes
                  WHERE schemaname IN ('kuota', 'snapshot', 'quality')""",
    "triggers": """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
                   WHERE NOT tgisinternal""",
    "functions": """SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc)
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname IN ('kuota', 'snapshot', 'quality')""",
    "views": """SELECT schemaname, viewname, definition FROM pg_views
                WHERE schemaname IN ('kuota', 'snapshot', 'quality')""",
}


def _shape(dsn: str) -> dict[str, set]:
    return {part: set(query(dsn, sql)) for part, sql in SHAPE.items()}


@pytest.fixture
def empty_db():
    """A database with nothing in it, not even the version table."""
    with new_database("kuota_m") as dsn:
        yield dsn


def test_an_old_warehouse_migrates_to_the_schema_of_a_new_one_and_keeps_its_periods(empty_db, dsn):
    with db.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute(OLD_WAREHOUSE.read_text())
    assert query(empty_db, "SELECT to_regclass('kuota.schema_version')") == [(None,)]
    assert query(empty_db, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'batas_jawaban'") == [
        (0,)
    ]

    assert migrations.migrate(empty_db) == VERSIONS

    old, new = _shape(empty_db), _shape(dsn)
    for part in SHAPE:
        assert old[part] == new[part], (part, old[part] ^ new[part])
    # The period opened before the lifecycle existed runs under the deadline it had by default.
    assert query(empty_db, "SELECT periode, batas_jawaban, hari_tahap FROM kuota.periode") == [
        ("2020-09", dt.datetime(2020, 9, 30, 16, 59, tzinfo=dt.UTC), [15, 28])
    ]
    assert [r[0] for r in query(empty_db, "SELECT version FROM kuota.schema_version ORDER BY 1")] == VERSIONS


VIEWS = """SELECT schemaname, viewname, definition FROM pg_views
           WHERE schemaname IN ('quality', 'snapshot', 'kuota') ORDER BY 1, 2"""


def _migrate_across(db: str, monkeypatch, version: int, fill: str, rows: str) -> list[tuple]:
    """Migrates ``db`` to just before ``version``, fills it (``fill``), then on through
    ``version`` and the rest: the rows (``rows``) and the views' definitions come out as they
    went in. Returns the rows."""
    before_it = [m for m in migrations.available() if m.version < version]
    monkeypatch.setattr(migrations, "available", lambda: before_it)
    assert migrations.migrate(db) == list(range(1, version))
    query(db, fill)
    before, views_before = query(db, rows), query(db, VIEWS)
    monkeypatch.undo()
    assert migrations.migrate(db) == [v for v in VERSIONS if v >= version]
    assert query(db, rows) == before
    assert query(db, VIEWS) == views_before and len(views_before) >= 5
    return before


def test_recipients_screened_before_the_partitions_move_into_them_whole(empty_db, monkeypatch):
    """0012: a warehouse whose recipients sat in one table gets a partition per period, with
    every row, the views over the table as they were, and its guards."""
    rows = "SELECT periode, jenis, id, msisdn, status, alasan FROM kuota.penerima ORDER BY 1, 2, 3"
    fill = """INSERT INTO kuota.penerima (periode, jenis, id, msisdn, provider, paket_gb, status, alasan)
   SELECT p, 'pd', gen_random_uuid(), '62812' || lpad(n::text, 7, '0'), 'telkomsel', 35,
          CASE WHEN n % 7 = 0 THEN 'residu' ELSE 'siap_validasi' END,
          CASE WHEN n % 7 = 0 THEN 'nisn_ganda' END
   FROM unnest(ARRAY['2020-09', '2020-10']) p, generate_series(1, 500) n"""
    assert len(_migrate_across(empty_db, monkeypatch, 12, fill, rows)) == 1000
    assert query(
        empty_db,
        """SELECT c.relname, count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           JOIN kuota.penerima p ON p.tableoid = c.oid
           WHERE i.inhparent = 'kuota.penerima'::regclass GROUP BY 1 ORDER BY 1""",
    ) == [("penerima_2020_09", 500), ("penerima_2020_10", 500)]
    assert query(empty_db, "SELECT to_regclass('kuota.penerima_lama')") == [(None,)]
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="TRUNCATE refused"):
        query(empty_db, "TRUNCATE kuota.penerima")
    with pytest.raises(psycopg2.errors.CheckViolation, match="penerima_check"):
        query(empty_db, "UPDATE kuota.penerima SET status = 'residu' WHERE periode = '2020-10' AND alasan IS NULL")


def test_pupils_and_ptk_loaded_before_the_partitions_move_into_them_whole(empty_db, monkeypatch):
    """0014: a warehouse whose cutoffs sat in one table per kind gets a partition per cutoff,
    with every row, the views over the tables as they were, and the snapshot's guards."""
    rows = """SELECT 'pd', cutoff_id, peserta_didik_id, nama, penerima_pkh FROM snapshot.peserta_didik UNION ALL
              SELECT 'ptk', cutoff_id, ptk_id, nama, ptk_induk FROM snapshot.ptk ORDER BY 1, 2, 3"""
    fill = """INSERT INTO snapshot.peserta_didik (cutoff_id, baris, peserta_didik_id, nisn, nik, nama, jenis_kelamin,
          tanggal_lahir, nama_ibu_kandung, sekolah_id, tingkat_pendidikan, status, nomor_hp,
          penerima_pip, penerima_pkh, nomor_kip, nomor_kps)
   SELECT c, n + 1, gen_random_uuid(), lpad(n::text, 10, '0'), lpad(n::text, 16, '0'), 'Siswa ' || n, 'L',
          date '2010-01-01' + n, 'Ibu', gen_random_uuid(), n % 13, 'aktif', '0812' || lpad(n::text, 8, '0'),
          false, n % 2 = 0, '', ''
   FROM unnest(ARRAY[1, 2]) c, generate_series(1, 300) n;
   INSERT INTO snapshot.ptk (cutoff_id, baris, ptk_id, nuptk, nik, nama, jenis_kelamin, tanggal_lahir,
          nama_ibu_kandung, jenis_ptk, sekolah_id, ptk_induk, status, nomor_hp)
   SELECT c, n + 1, gen_random_uuid(), lpad(n::text, 16, '0'), lpad(n::text, 16, '0'), 'Guru ' || n, 'P',
          date '1980-01-01' + n, 'Ibu', 'guru', gen_random_uuid(), true, 'aktif', ''
   FROM unnest(ARRAY[1, 2]) c, generate_series(1, 40) n"""
    assert len(_migrate_across(empty_db, monkeypatch, 14, fill, rows)) == 680
    assert query(
        empty_db,
        """SELECT c.relname, count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           JOIN (SELECT tableoid FROM snapshot.peserta_didik UNION ALL SELECT tableoid FROM snapshot.ptk) r
             ON r.tableoid = c.oid
           WHERE i.inhparent IN ('snapshot.peserta_didik'::regclass, 'snapshot.ptk'::regclass)
           GROUP BY 1 ORDER BY 1""",
    ) == [("peserta_didik_1", 300), ("peserta_didik_2", 300), ("ptk_1", 40), ("ptk_2", 40)]
    assert query(empty_db, "SELECT to_regclass('snapshot.peserta_didik_lama'), to_regclass('snapshot.ptk_lama')") == [
        (None, None)
    ]
    for statement in (
        "TRUNCATE snapshot.peserta_didik",
        "TRUNCATE snapshot.ptk_2",
        "UPDATE snapshot.ptk SET nama = 'x' RETURNING 1",
        "DELETE FROM snapshot.peserta_didik WHERE cutoff_id = 1 RETURNING 1",
    ):
        with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="immutable"):
            query(empty_db, statement)


def test_numbers_normalized_before_the_partitions_move_into_them_whole(empty_db, monkeypatch):
    """0015: a warehouse whose normalized numbers sat in one table gets a partition per cutoff,
    with every row and its checks; a cutoff's numbers then go into their own partition once."""
    rows = "SELECT cutoff_id, jenis, id, kosong, msisdn FROM kuota.nomor_cutoff ORDER BY 1, 2, 3"
    fill = """INSERT INTO kuota.nomor_cutoff (cutoff_id, jenis, id, kosong, msisdn)
   SELECT c, CASE WHEN n % 5 = 0 THEN 'ptk' ELSE 'pd' END, gen_random_uuid(), n % 11 = 0,
          CASE WHEN n % 3 = 0 THEN NULL ELSE '62812' || lpad(n::text, 7, '0') END
   FROM unnest(ARRAY[1, 2]) c, generate_series(1, 250) n"""
    assert len(_migrate_across(empty_db, monkeypatch, 15, fill, rows)) == 500
    parts = """SELECT c.relname, count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               JOIN kuota.nomor_cutoff n ON n.tableoid = c.oid
               WHERE i.inhparent = 'kuota.nomor_cutoff'::regclass GROUP BY 1 ORDER BY 1"""
    assert query(empty_db, parts) == [("nomor_cutoff_1", 250), ("nomor_cutoff_2", 250)]
    assert query(empty_db, "SELECT to_regclass('kuota.nomor_cutoff_lama')") == [(None,)]
    with pytest.raises(psycopg2.errors.CheckViolation, match="msisdn_check"):
        query(empty_db, "UPDATE kuota.nomor_cutoff SET msisdn = '0812' WHERE cutoff_id = 2 RETURNING 1")
    with pytest.raises(psycopg2.errors.UniqueViolation, match="nomor_cutoff_1_pkey"):
        query(empty_db, "INSERT INTO kuota.nomor_cutoff SELECT * FROM kuota.nomor_cutoff WHERE cutoff_id = 1")
    # Made and attached again (the step run twice): kept as it is.
    for _ in range(2):
        assert query(empty_db, "SELECT kuota.nomor_bagian(2)") == [("kuota.nomor_cutoff_2",)]
        query(empty_db, "SELECT kuota.nomor_pasang(2)")
    assert query(empty_db, parts) == [("nomor_cutoff_1", 250), ("nomor_cutoff_2", 250)]
    assert query(empty_db, "SELECT kuota.nomor_terpasang(2), kuota.nomor_terpasang(3)") == [(True, False)]


def test_each_migration_is_applied_once_and_a_second_run_changes_nothing(dsn):
    before = migrations.applied(dsn)
    assert sorted(before) == VERSIONS
    assert {row["sha256"] for row in before.values()} == {m.sha256 for m in migrations.available()}
    assert migrations.migrate(dsn) == []
    assert migrations.applied(dsn) == before


def test_two_migrators_at_once_apply_each_file_once(empty_db):
    results, errors = [], []

    def run():
        try:
            results.append(migrations.migrate(empty_db, "attack"))
        except Exception as err:  # noqa: BLE001 - the test reports any failure below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(v for applied in results for v in applied) == VERSIONS
    assert sorted(migrations.applied(empty_db)) == VERSIONS


def test_an_applied_migration_edited_afterwards_is_refused_and_nothing_is_applied(dsn):
    query(dsn, "UPDATE kuota.schema_version SET sha256 = repeat('0', 64) WHERE version = 3 RETURNING 1")
    query(dsn, "DELETE FROM kuota.schema_version WHERE version = 6 RETURNING 1")
    following = f"{max(VERSIONS) + 1:04d}_"  # the next file's number, whatever the latest is
    with pytest.raises(
        MigrationError, match=rf"0003_exchange\.sql: changed after it was applied .* new file, {following}"
    ):
        migrations.migrate(dsn)
    assert sorted(migrations.applied(dsn)) == [v for v in VERSIONS if v != 6]  # 0006 was not applied either


def test_a_warehouse_newer_than_the_code_is_refused(dsn):
    query(
        dsn,
        "INSERT INTO kuota.schema_version (version, name, sha256, applied_by) "
        "VALUES (%s, 'from_the_future', repeat('f', 64), 'test') RETURNING 1",
        (len(VERSIONS) + 1,),
    )
    with pytest.raises(MigrationError, match=rf"at migration {len(VERSIONS) + 1:04d}, newer than this code"):
        migrations.migrate(dsn)


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        (["0001_a.sql", "0003_c.sql"], r"0003_c\.sql: .* expected 0002 here"),
        (["0001_a.sql", "0001_b.sql"], r"0001_b\.sql: .* expected 0002 here"),
        (["0001_a.sql", "2_b.sql"], r"2_b\.sql: a migration file is named NNNN_name\.sql"),
    ],
)
def test_migration_files_are_numbered_in_order_without_a_gap(tmp_path, files, rule):
    for name in files:
        (tmp_path / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match=rule):
        migrations.available(tmp_path)


def test_the_cli_migrates_and_lists_the_migrations_applied(empty_db):
    cli = [sys.executable, "-m", "kuota.cli", "migrate"]
    env = {**os.environ, "KUOTA_WAREHOUSE_DSN": empty_db}
    done = subprocess.run(cli, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"applied": VERSIONS}
    status = subprocess.run([*cli, "--status"], capture_output=True, text=True, env=env)
    assert status.returncode == 0, status.stderr
    listed = json.loads(status.stdout)
    assert [m["migration"] for m in listed] == [m.path.name for m in migrations.available()]
    assert all(m["applied_at"] for m in listed)
    again = subprocess.run(cli, capture_output=True, text=True, env=env)
    assert json.loads(again.stdout) == {"applied": []}
