-- The verification portal and the SPTJM (exchange.md §3; domain.md flow 6-7, K5): stages of a
-- period, files the schools send, corrections, SPTJMs and the records they lock.
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.
SELECT pg_advisory_xact_lock(4242001);

-- The stages (tahap) of a period, as stage runs opened them. A correction joins the stage
-- that picks it up; the period's records start in stage 1.
CREATE TABLE IF NOT EXISTS kuota.tahap (
    periode    text NOT NULL REFERENCES kuota.periode,
    tahap      int NOT NULL CHECK (tahap > 0),
    dibuka_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (periode, tahap)
);

-- Every file a school sent through the portal that the pipeline looked at, by its sha256:
-- loaded (at most once per name) or quarantined whole with the error. Seen again with a
-- loaded sha256: ignored.
CREATE TABLE IF NOT EXISTS kuota.berkas_portal (
    periode      text NOT NULL REFERENCES kuota.periode,
    jenis        text NOT NULL CHECK (jenis IN ('koreksi', 'persetujuan')),
    nama         text NOT NULL,
    sha256       text NOT NULL,
    hasil        text NOT NULL CHECK (hasil IN ('dimuat', 'dikarantina')),
    tahap        int,
    baris        bigint,
    pesan        text,   -- the error of a quarantined file
    karantina    text,   -- where it was moved
    diterima_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (periode, jenis, nama, sha256),
    CHECK ((hasil = 'dikarantina') = (pesan IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS berkas_portal_dimuat_sekali
    ON kuota.berkas_portal (periode, jenis, nama) WHERE hasil = 'dimuat';

-- Every correction row of a loaded file, applied or refused with the reason (reported back).
CREATE TABLE IF NOT EXISTS kuota.koreksi (
    periode         text NOT NULL,
    berkas          text NOT NULL,
    baris           bigint NOT NULL,  -- line in the file (the header is line 1)
    jenis           text NOT NULL,
    id              uuid NOT NULL,
    nomor_hp        text NOT NULL,    -- as typed in the portal
    kepemilikan_hp  text,
    waktu_koreksi   timestamptz NOT NULL,
    tahap           int NOT NULL,
    hasil           text NOT NULL CHECK (hasil IN ('diterapkan', 'ditolak')),
    pesan           text,             -- why a correction was refused
    PRIMARY KEY (periode, berkas, baris),
    CHECK ((hasil = 'ditolak') = (pesan IS NOT NULL))
);

-- An SPTJM: a school's statement listing some of its valid records. Issued once, never
-- changed except its decision, which is final once taken.
CREATE TABLE IF NOT EXISTS kuota.sptjm (
    sptjm_no       text PRIMARY KEY,
    periode        text NOT NULL REFERENCES kuota.periode,
    npsn           text NOT NULL CHECK (npsn ~ '^[0-9]{8}$'),
    urutan         int NOT NULL CHECK (urutan > 0),  -- seq: 1, 2, ... per school and period
    tahap          int NOT NULL,
    baris          int NOT NULL CHECK (baris > 0),
    paket_gb       bigint NOT NULL CHECK (paket_gb > 0),
    dibuat_at      timestamptz NOT NULL DEFAULT date_trunc('second', now()),
    sha256         text CHECK (sha256 ~ '^[0-9a-f]{64}$'),  -- of the CSV as first written
    keputusan      text CHECK (keputusan IN ('disetujui', 'ditolak')),
    diputuskan_at  timestamptz,  -- the decision's time, as the portal gave it
    berkas         text,         -- the approvals file that carried it
    UNIQUE (periode, npsn, urutan),
    UNIQUE (sptjm_no, keputusan),  -- what the injection ledger's gate refers to
    CHECK (sptjm_no = 'SPTJM-' || periode || '-' || npsn || '-' || urutan),
    CHECK ((keputusan IS NULL) = (diputuskan_at IS NULL))
);

CREATE OR REPLACE FUNCTION kuota.sptjm_tetap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - 'sha256' - 'keputusan' - 'diputuskan_at' - 'berkas')
       <> (to_jsonb(OLD) - 'sha256' - 'keputusan' - 'diputuskan_at' - 'berkas')
     OR (OLD.sha256 IS NOT NULL AND NEW.sha256 IS DISTINCT FROM OLD.sha256) THEN
    RAISE EXCEPTION '% was issued: it is immutable', OLD.sptjm_no
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.keputusan IS NOT NULL AND (NEW.keputusan, NEW.diputuskan_at, NEW.berkas)
                                   IS DISTINCT FROM (OLD.keputusan, OLD.diputuskan_at, OLD.berkas) THEN
    RAISE EXCEPTION '% was % already: a decision is final', OLD.sptjm_no, OLD.keputusan
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

-- The records an SPTJM lists, with the number, provider and package it locks for the period.
-- A record is on at most one SPTJM that stands (not rejected) per period. Rows never change,
-- except that a rejected SPTJM releases its records (ditolak).
CREATE TABLE IF NOT EXISTS kuota.sptjm_penerima (
    sptjm_no  text NOT NULL REFERENCES kuota.sptjm,
    periode   text NOT NULL,
    jenis     text NOT NULL CHECK (jenis IN ('pd', 'ptk')),
    id        uuid NOT NULL,
    msisdn    text NOT NULL CHECK (msisdn ~ '^628[0-9]{8,11}$'),
    provider  text NOT NULL,
    paket_gb  int NOT NULL CHECK (paket_gb > 0),
    ditolak   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (sptjm_no, jenis, id),
    UNIQUE (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb)  -- the ledger's gate
);
CREATE UNIQUE INDEX IF NOT EXISTS sptjm_penerima_sekali
    ON kuota.sptjm_penerima (periode, jenis, id) WHERE NOT ditolak;

CREATE OR REPLACE FUNCTION kuota.sptjm_penerima_tetap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (to_jsonb(NEW) - 'ditolak') <> (to_jsonb(OLD) - 'ditolak') OR (OLD.ditolak AND NOT NEW.ditolak)
     OR (NEW.ditolak AND NOT EXISTS (SELECT 1 FROM kuota.sptjm s
                                     WHERE s.sptjm_no = NEW.sptjm_no AND s.keputusan = 'ditolak')) THEN
    RAISE EXCEPTION 'record % % on % is locked: only a rejection of the SPTJM releases it',
      OLD.jenis, OLD.id, OLD.sptjm_no USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

-- A locked number never changes: no update of a record's number, provider or package, and no
-- delete of the record, while it is on an SPTJM that stands.
CREATE OR REPLACE FUNCTION kuota.nomor_terkunci() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  lock_no text;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.msisdn, NEW.provider, NEW.paket_gb) IS NOT DISTINCT FROM
                          (OLD.msisdn, OLD.provider, OLD.paket_gb) THEN
    RETURN NEW;
  END IF;
  SELECT s.sptjm_no INTO lock_no FROM kuota.sptjm_penerima s
  WHERE s.periode = OLD.periode AND s.jenis = OLD.jenis AND s.id = OLD.id AND NOT s.ditolak;
  IF FOUND THEN
    RAISE EXCEPTION 'record % % of periode % is on %: its number % is locked for the period (% refused)',
      OLD.jenis, OLD.id, OLD.periode, lock_no, OLD.msisdn, TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'sptjm_tetap') THEN
    CREATE TRIGGER sptjm_tetap BEFORE UPDATE ON kuota.sptjm FOR EACH ROW EXECUTE FUNCTION kuota.sptjm_tetap();
    CREATE TRIGGER sptjm_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.sptjm
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
    CREATE TRIGGER sptjm_penerima_tetap BEFORE UPDATE ON kuota.sptjm_penerima
      FOR EACH ROW EXECUTE FUNCTION kuota.sptjm_penerima_tetap();
    CREATE TRIGGER sptjm_penerima_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.sptjm_penerima
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
    -- Column-limited: the bulk state updates of other stages do not fire it.
    CREATE TRIGGER penerima_nomor_terkunci BEFORE UPDATE OF msisdn, provider, paket_gb OR DELETE
      ON kuota.penerima FOR EACH ROW EXECUTE FUNCTION kuota.nomor_terkunci();
    CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.penerima
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;
