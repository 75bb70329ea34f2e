-- The snapshot of a Dapodik cutoff and the period's recipients (domain.md flow 1-3).
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.
SELECT pg_advisory_xact_lock(4242001);

CREATE SCHEMA IF NOT EXISTS snapshot;
CREATE SCHEMA IF NOT EXISTS kuota;

-- Helpers for type rules (PostgreSQL 15 has no pg_input_is_valid).
-- Type rules as pure IMMUTABLE SQL so the planner inlines them (a text->date cast is only
-- STABLE and would stop that), and with unbounded regex groups plus fixed positions, which
-- PostgreSQL's regex engine runs several times faster than {n} quantifiers.
CREATE OR REPLACE FUNCTION snapshot.is_uuid(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT length(v) = 36
     AND v ~ '^[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+$'
     AND substr(v, 9, 1) = '-' AND substr(v, 14, 1) = '-' AND substr(v, 19, 1) = '-' AND substr(v, 24, 1) = '-'
$$;

CREATE OR REPLACE FUNCTION snapshot.days_in_month(y int, m int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN m = 2 THEN 28 + (y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0))::int
              ELSE 30 + (m + m / 8) % 2 END
$$;

CREATE OR REPLACE FUNCTION snapshot.is_date(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v ~ '^[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]$'  -- CASE: no cast before the regex
    THEN substr(v, 6, 2)::int BETWEEN 1 AND 12
     AND substr(v, 9, 2)::int BETWEEN 1 AND snapshot.days_in_month(substr(v, 1, 4)::int, substr(v, 6, 2)::int)
    ELSE false END
$$;

-- A cutoff export (exchange.md §1), registered once per content.
CREATE TABLE IF NOT EXISTS snapshot.cutoff (
    cutoff_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cutoff_date    date NOT NULL UNIQUE,
    content_sha256 text NOT NULL UNIQUE,
    source_uri     text NOT NULL,
    manifest       jsonb NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per table of a cutoff, written in the same transaction as the table's rows:
-- its presence means the table is loaded, completely.
CREATE TABLE IF NOT EXISTS snapshot.cutoff_file (
    cutoff_id      bigint NOT NULL REFERENCES snapshot.cutoff,
    tabel          text NOT NULL CHECK (tabel IN ('sekolah', 'peserta_didik', 'ptk')),
    file_name      text NOT NULL,
    sha256         text NOT NULL,
    manifest_rows  bigint NOT NULL,
    loaded_rows    bigint NOT NULL,
    invalid_rows   bigint NOT NULL,
    seconds        numeric NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cutoff_id, tabel),
    CHECK (loaded_rows + invalid_rows = manifest_rows)
);

-- Rows that failed their column's type: reported, never dropped silently.
CREATE TABLE IF NOT EXISTS snapshot.format_tidak_valid (
    cutoff_id    bigint NOT NULL REFERENCES snapshot.cutoff,
    tabel        text NOT NULL,
    baris        bigint NOT NULL,          -- line in the file (the header is line 1)
    id_rekaman   uuid,                     -- the record's id when readable
    pelanggaran  text NOT NULL,            -- the rules broken, by column
    sekolah_id   uuid,                     -- the school the row names, when readable: its
                                           -- residu goes back to that school
    PRIMARY KEY (cutoff_id, tabel, baris)
);
ALTER TABLE snapshot.format_tidak_valid ADD COLUMN IF NOT EXISTS sekolah_id uuid;

-- Rows loaded per table and province of a cutoff, counted by the load in the same
-- transaction as the rows (a student or teacher counts in the province of the school it
-- names). check_snapshot compares them with the previous cutoff's (bulanan/snapshot/07_check_volume.sql):
-- a few hundred rows, whatever the cutoff's size.
CREATE TABLE IF NOT EXISTS snapshot.cutoff_volume (
    cutoff_id      bigint NOT NULL REFERENCES snapshot.cutoff,
    tabel          text NOT NULL CHECK (tabel IN ('sekolah', 'peserta_didik', 'ptk')),
    kode_provinsi  text NOT NULL,
    baris          bigint NOT NULL CHECK (baris > 0),
    PRIMARY KEY (cutoff_id, tabel, kode_provinsi)
);

-- Raw staging layouts: every column as text, plus the line and the field count seen.
-- Loads copy into session-private temporary tables LIKE these.
CREATE TABLE IF NOT EXISTS snapshot.raw_sekolah (
    baris bigint, ncol int,
    sekolah_id text, npsn text, nama text, bentuk_pendidikan text, status text,
    kode_provinsi text, kode_kabupaten text
);
CREATE TABLE IF NOT EXISTS snapshot.raw_peserta_didik (
    baris bigint, ncol int,
    peserta_didik_id text, nisn text, nik text, nama text, jenis_kelamin text, tanggal_lahir text,
    nama_ibu_kandung text, sekolah_id text, tingkat_pendidikan text, status text, nomor_hp text,
    kepemilikan_hp text, penerima_pip text, penerima_pkh text, nomor_kip text, nomor_kps text,
    tanggal_masuk_sekolah text
);
CREATE TABLE IF NOT EXISTS snapshot.raw_ptk (
    baris bigint, ncol int,
    ptk_id text, nuptk text, nik text, nama text, jenis_kelamin text, tanggal_lahir text,
    nama_ibu_kandung text, jenis_ptk text, sekolah_id text, ptk_induk text, status text,
    jenis_keluar text, nomor_hp text, kepemilikan_hp text
);

-- The snapshot proper: typed, keyed by cutoff, immutable once written.
CREATE TABLE IF NOT EXISTS snapshot.sekolah (
    cutoff_id          bigint NOT NULL REFERENCES snapshot.cutoff,
    baris              bigint NOT NULL,
    sekolah_id         uuid NOT NULL,
    npsn               char(8) NOT NULL CHECK (npsn ~ '^[0-9]{8}$'),
    nama               text NOT NULL,
    bentuk_pendidikan  text NOT NULL CHECK (bentuk_pendidikan IN ('TK','KB','SD','SMP','SMA','SMK','SLB','PKBM')),
    status             text NOT NULL CHECK (status IN ('aktif','tutup')),
    kode_provinsi      char(2) NOT NULL CHECK (kode_provinsi ~ '^[0-9]{2}$'),
    kode_kabupaten     char(4) NOT NULL CHECK (kode_kabupaten ~ '^[0-9]{4}$'),
    PRIMARY KEY (cutoff_id, sekolah_id)
);
-- A school by its NPSN (a corrections file names its school so; exchange.md §3).
CREATE INDEX IF NOT EXISTS sekolah_npsn ON snapshot.sekolah (cutoff_id, npsn);

CREATE TABLE IF NOT EXISTS snapshot.peserta_didik (
    cutoff_id              bigint NOT NULL,  -- no per-row FK check (it costs half the insert); the rows
                                                --   are written with their cutoff_file row, which has it
    baris                  bigint NOT NULL,
    peserta_didik_id       uuid NOT NULL,
    nisn                   text NOT NULL,       -- as typed: validity is a K2 rule, not a type
    nik                    text NOT NULL,
    nama                   text NOT NULL,
    jenis_kelamin          char(1) NOT NULL CHECK (jenis_kelamin IN ('L','P')),
    tanggal_lahir          date NOT NULL,
    nama_ibu_kandung       text NOT NULL,
    sekolah_id             uuid NOT NULL,
    tingkat_pendidikan     smallint NOT NULL CHECK (tingkat_pendidikan BETWEEN 0 AND 13),
    status                 text NOT NULL CHECK (status IN ('aktif','keluar','lulus')),
    nomor_hp               text NOT NULL,       -- as typed
    kepemilikan_hp         text CHECK (kepemilikan_hp IN ('sendiri','orang_tua','wali','saudara','lainnya')),
    penerima_pip           boolean NOT NULL,
    penerima_pkh           boolean NOT NULL,
    nomor_kip              text NOT NULL,
    nomor_kps              text NOT NULL,
    tanggal_masuk_sekolah  date,
    PRIMARY KEY (cutoff_id, peserta_didik_id)
);

CREATE TABLE IF NOT EXISTS snapshot.ptk (
    cutoff_id         bigint NOT NULL,  -- no per-row FK check (it costs half the insert); the rows
                                                --   are written with their cutoff_file row, which has it
    baris             bigint NOT NULL,
    ptk_id            uuid NOT NULL,
    nuptk             text NOT NULL,
    nik               text NOT NULL,
    nama              text NOT NULL,
    jenis_kelamin     char(1) NOT NULL CHECK (jenis_kelamin IN ('L','P')),
    tanggal_lahir     date NOT NULL,
    nama_ibu_kandung  text NOT NULL,
    jenis_ptk         text NOT NULL CHECK (jenis_ptk IN ('guru','kepala_sekolah','tenaga_administrasi','operator','lainnya')),
    sekolah_id        uuid NOT NULL,
    ptk_induk         boolean NOT NULL,
    status            text NOT NULL CHECK (status IN ('aktif','keluar')),
    jenis_keluar      text CHECK (jenis_keluar IN ('pensiun','mengundurkan_diri','diberhentikan','meninggal','mutasi')),
    nomor_hp          text NOT NULL,
    kepemilikan_hp    text CHECK (kepemilikan_hp IN ('sendiri','orang_tua','wali','saudara','lainnya')),
    PRIMARY KEY (cutoff_id, ptk_id)
);

-- Immutability: a snapshot is evidence.  Rows are only ever inserted.
CREATE OR REPLACE FUNCTION snapshot.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is immutable: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['cutoff','cutoff_file','cutoff_volume','format_tidak_valid','sekolah','peserta_didik','ptk'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'immutable_' || t) THEN
      EXECUTE format('CREATE TRIGGER immutable_%1$s BEFORE UPDATE OR DELETE ON snapshot.%1$I
                      FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change()', t);
      EXECUTE format('CREATE TRIGGER immutable_%1$s_truncate BEFORE TRUNCATE ON snapshot.%1$I
                      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change()', t);
    END IF;
  END LOOP;
END $$;

-- Cutoffs loaded before the counts existed get them once, from their rows (a table with
-- rows and no counts); afterwards nothing matches and the per-table scans never run.
INSERT INTO snapshot.cutoff_volume (cutoff_id, tabel, kode_provinsi, baris)
SELECT f.cutoff_id, f.tabel, v.kode_provinsi, v.baris
FROM snapshot.cutoff_file f
CROSS JOIN LATERAL (
    SELECT s.kode_provinsi::text AS kode_provinsi, count(*) AS baris
    FROM snapshot.sekolah s WHERE f.tabel = 'sekolah' AND s.cutoff_id = f.cutoff_id GROUP BY 1
    UNION ALL
    SELECT s.kode_provinsi::text, count(*)
    FROM snapshot.peserta_didik p JOIN snapshot.sekolah s ON s.cutoff_id = p.cutoff_id AND s.sekolah_id = p.sekolah_id
    WHERE f.tabel = 'peserta_didik' AND p.cutoff_id = f.cutoff_id GROUP BY 1
    UNION ALL
    SELECT s.kode_provinsi::text, count(*)
    FROM snapshot.ptk p JOIN snapshot.sekolah s ON s.cutoff_id = p.cutoff_id AND s.sekolah_id = p.sekolah_id
    WHERE f.tabel = 'ptk' AND p.cutoff_id = f.cutoff_id GROUP BY 1
) v
WHERE f.loaded_rows > 0
  AND NOT EXISTS (SELECT 1 FROM snapshot.cutoff_volume x WHERE x.cutoff_id = f.cutoff_id AND x.tabel = f.tabel)
ON CONFLICT DO NOTHING;

-- A period (one month) runs on exactly one cutoff.
CREATE TABLE IF NOT EXISTS kuota.periode (
    periode    text PRIMARY KEY CHECK (periode ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    cutoff_id  bigint NOT NULL REFERENCES snapshot.cutoff,
    opened_at  timestamptz NOT NULL DEFAULT now()
);

-- What the data-quality suites read: one cutoff of each table, chosen by the session setting
-- kuota.cutoff_id that the suite's connection sets.  GX reads these as table assets (a GX
-- query asset fetches its whole result into the worker's memory: unbounded at national scale).
CREATE SCHEMA IF NOT EXISTS quality;
CREATE OR REPLACE VIEW quality.snapshot_sekolah AS
  SELECT * FROM snapshot.sekolah WHERE cutoff_id = current_setting('kuota.cutoff_id')::bigint;
CREATE OR REPLACE VIEW quality.snapshot_peserta_didik AS
  SELECT * FROM snapshot.peserta_didik WHERE cutoff_id = current_setting('kuota.cutoff_id')::bigint;
CREATE OR REPLACE VIEW quality.snapshot_ptk AS
  SELECT * FROM snapshot.ptk WHERE cutoff_id = current_setting('kuota.cutoff_id')::bigint;
