-- The period's lifecycle: opened with its deadline for answers and its stage calendar
-- (stored once), run in stages, closed by one closing step after the deadline. Once closed,
-- the database itself refuses every new stage, batch, answer, portal file and SPTJM change
-- of the period; reopening is a separate command that leaves its reason in the history.
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.
SELECT pg_advisory_xact_lock(4242001);

ALTER TABLE kuota.periode ADD COLUMN IF NOT EXISTS batas_jawaban timestamptz;
ALTER TABLE kuota.periode ADD COLUMN IF NOT EXISTS hari_tahap int[];
ALTER TABLE kuota.periode ADD COLUMN IF NOT EXISTS ditutup_at timestamptz;
ALTER TABLE kuota.periode ADD COLUMN IF NOT EXISTS ditutup_alasan text;
-- Periods opened before the lifecycle existed: the deadline they ran under by default (the
-- period's last day, 23:59 WIB) and the 2020 stage days.
UPDATE kuota.periode
SET batas_jawaban = coalesce(batas_jawaban, (to_date(periode, 'YYYY-MM') + interval '1 month' - interval '1 minute')
                                            AT TIME ZONE 'Asia/Jakarta'),
    hari_tahap = coalesce(hari_tahap, ARRAY[15, 28])
WHERE batas_jawaban IS NULL OR hari_tahap IS NULL;
ALTER TABLE kuota.periode ALTER COLUMN batas_jawaban SET NOT NULL;
ALTER TABLE kuota.periode ALTER COLUMN hari_tahap SET NOT NULL;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'periode_hari_tahap') THEN
    ALTER TABLE kuota.periode ADD CONSTRAINT periode_hari_tahap
      CHECK (cardinality(hari_tahap) BETWEEN 1 AND 28 AND 1 <= ALL (hari_tahap) AND 28 >= ALL (hari_tahap));
  END IF;
END $$;

-- Every change of a period's lifecycle, with who asked and why: opened, deadline changed,
-- closed, reopened. Only ever inserted.
CREATE TABLE IF NOT EXISTS kuota.periode_riwayat (
    periode        text NOT NULL REFERENCES kuota.periode,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    aksi           text NOT NULL CHECK (aksi IN ('dibuka', 'batas_diubah', 'ditutup', 'dibuka_kembali')),
    batas_jawaban  timestamptz NOT NULL,  -- the deadline after the change
    alasan         text,
    oleh           text NOT NULL,         -- the run or the command that did it
    CHECK (aksi IN ('dibuka', 'ditutup') OR length(btrim(alasan)) >= 10)
);
CREATE INDEX IF NOT EXISTS periode_riwayat_periode ON kuota.periode_riwayat (periode, at);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'periode_riwayat_tetap') THEN
    CREATE TRIGGER periode_riwayat_tetap BEFORE UPDATE OR DELETE ON kuota.periode_riwayat
      FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();
    CREATE TRIGGER periode_riwayat_tetap_truncate BEFORE TRUNCATE ON kuota.periode_riwayat
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;

-- The lifecycle is changed only with its history row (periode/05_change_periode.sql writes both in one
-- statement): at commit, a change of the deadline, the closing time or its reason needs a row
-- of this transaction in kuota.periode_riwayat for that change and the deadline after it; a
-- closed period's closing time, reason and deadline change only by reopening it; the cutoff
-- and the stage calendar, stored once, never. A direct UPDATE cannot reopen a period, move
-- its deadline or rewrite its closing.
CREATE OR REPLACE FUNCTION kuota.periode_diaudit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  perlu text;
BEGIN
  IF NEW.periode <> OLD.periode OR NEW.cutoff_id <> OLD.cutoff_id OR NEW.opened_at <> OLD.opened_at
     OR NEW.hari_tahap IS DISTINCT FROM OLD.hari_tahap THEN
    RAISE EXCEPTION 'periode %: its cutoff, opening and stage calendar are stored once and never change',
      OLD.periode USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  perlu := CASE WHEN OLD.ditutup_at IS NULL AND NEW.ditutup_at IS NOT NULL THEN 'ditutup'
                WHEN OLD.ditutup_at IS NOT NULL AND NEW.ditutup_at IS NULL THEN 'dibuka_kembali'
                WHEN OLD.ditutup_at IS NULL AND NEW.ditutup_alasan IS NULL THEN 'batas_diubah'
           END;  -- NULL: a closed period's closing or deadline rewritten, never allowed
  IF perlu IS NULL OR NOT EXISTS (
       SELECT 1 FROM kuota.periode_riwayat r
       WHERE r.periode = NEW.periode AND r.aksi = perlu AND r.batas_jawaban = NEW.batas_jawaban
         AND r.xmin = pg_current_xact_id()::xid) THEN
    RAISE EXCEPTION 'periode %: its lifecycle changed without its history row (closing, reopening or the deadline '
      'go through kuota periode-batas, periode-buka-kembali or the closing step, each with its reason)',
      OLD.periode USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'periode_diaudit') THEN
    CREATE CONSTRAINT TRIGGER periode_diaudit AFTER UPDATE ON kuota.periode DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW
      WHEN (OLD.* IS DISTINCT FROM NEW.*)
      EXECUTE FUNCTION kuota.periode_diaudit();
  END IF;
END $$;

-- A closed period takes nothing new. Row triggers on the small tables every step writes
-- first (a stage, a batch, an answer, a portal file, an SPTJM and its decision), so a step
-- that slipped past the pipeline's own check still cannot plan, send, ingest or decide; and
-- on the injection ledger (what a provider is paid for, with kuota.permintaan: one row per
-- injection request, beside the ledger's own foreign-key checks), so no injection is added
-- to a closed period, whatever batch it names.
CREATE OR REPLACE FUNCTION kuota.periode_terbuka() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  p text;
  closed timestamptz;
BEGIN
  IF TG_TABLE_NAME = 'jawaban' THEN
    SELECT b.periode INTO p FROM kuota.batch b WHERE b.batch_id = NEW.batch_id;
  ELSE
    p := NEW.periode;
  END IF;
  SELECT ditutup_at INTO closed FROM kuota.periode WHERE periode = p;
  IF closed IS NOT NULL THEN
    RAISE EXCEPTION 'periode % was closed at %: % on kuota.% refused (reopen it with kuota periode-buka-kembali)',
      p, closed, TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tahap', 'batch', 'jawaban', 'berkas_portal', 'koreksi', 'sptjm', 'injeksi'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = t || '_periode_terbuka') THEN
      EXECUTE format('CREATE TRIGGER %1$s_periode_terbuka BEFORE INSERT OR UPDATE ON kuota.%1$I
                      FOR EACH ROW EXECUTE FUNCTION kuota.periode_terbuka()', t);
    END IF;
  END LOOP;
END $$;
