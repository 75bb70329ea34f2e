-- The provider exchange (exchange.md §2): batches sent, requests in them, answers seen.
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.
SELECT pg_advisory_xact_lock(4242001);

-- A batch sent to a provider. Its id is deterministic for its content and period (a hash of
-- its numbers), and the file is rebuilt from kuota.permintaan, so re-sending writes the same
-- bytes under the same key.
CREATE TABLE IF NOT EXISTS kuota.batch (
    batch_id    text PRIMARY KEY CHECK (batch_id ~ '^[A-Za-z0-9._-]+$'),
    periode     text NOT NULL REFERENCES kuota.periode,
    provider    text NOT NULL CHECK (provider IN ('telkomsel','indosat','xl','axis','tri','smartfren')),
    jenis       text NOT NULL CHECK (jenis IN ('validasi', 'injeksi')),
    urutan      int NOT NULL CHECK (urutan > 0),  -- 1, 2, ... per provider, kind and period
    tahap       int NOT NULL,
    baris       int NOT NULL CHECK (baris > 0),
    sha256      text CHECK (sha256 ~ '^[0-9a-f]{64}$'),  -- of the file as first sent
    dibuat_at   timestamptz NOT NULL DEFAULT date_trunc('second', now()),  -- the manifest's created_at
    UNIQUE (periode, provider, jenis, urutan)
);

-- A sent batch is immutable: once its sha256 is recorded (the first send), nothing of it changes,
-- and before that only the sha256 may be filled in. Batches are never deleted.
CREATE OR REPLACE FUNCTION kuota.batch_tetap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.sha256 IS NOT NULL OR (to_jsonb(NEW) - 'sha256') <> (to_jsonb(OLD) - 'sha256') THEN
    RAISE EXCEPTION 'batch % was sent (sha256 %): it is immutable', OLD.batch_id, OLD.sha256
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'batch_tetap') THEN
    CREATE TRIGGER batch_tetap BEFORE UPDATE ON kuota.batch FOR EACH ROW EXECUTE FUNCTION kuota.batch_tetap();
    CREATE TRIGGER batch_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.batch
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;

-- One request per row sent. request_id is unique across all batches ever sent (both kinds);
-- hasil is the provider's answer, NULL while pending, 'tanpa_respons' after the deadline.
-- Only what may leave is here: no names, NISN, NIK or school.
CREATE TABLE IF NOT EXISTS kuota.permintaan (
    request_id  text PRIMARY KEY,
    batch_id    text NOT NULL REFERENCES kuota.batch,
    periode     text NOT NULL,
    jenis       text NOT NULL CHECK (jenis IN ('validasi', 'injeksi')),
    msisdn      text NOT NULL CHECK (msisdn ~ '^628[0-9]{8,11}$'),
    hasil       text CHECK (hasil IN ('aktif','tidak_aktif','masa_tenggang','pascabayar','tidak_dikenal',
                                      'berhasil','gagal','tanpa_respons')),
    dijawab_at  timestamptz
);
CREATE INDEX IF NOT EXISTS permintaan_batch ON kuota.permintaan (batch_id);
-- A number is asked about once at a time in a period: never in two open validation batches.
CREATE UNIQUE INDEX IF NOT EXISTS permintaan_validasi_terbuka
    ON kuota.permintaan (periode, msisdn) WHERE jenis = 'validasi' AND hasil IS NULL;

-- The first answer's outcome stands: an answered request never changes (exchange.md §2).
CREATE OR REPLACE FUNCTION kuota.jawaban_tetap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.hasil IS NOT NULL AND NEW.hasil IS DISTINCT FROM OLD.hasil THEN
    RAISE EXCEPTION 'request % of batch % was answered % already: the first answer stands',
      OLD.request_id, OLD.batch_id, OLD.hasil USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.request_id <> OLD.request_id OR NEW.batch_id <> OLD.batch_id OR NEW.msisdn <> OLD.msisdn THEN
    RAISE EXCEPTION 'request % was sent: it is immutable', OLD.request_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'permintaan_jawaban_tetap') THEN
    CREATE TRIGGER permintaan_jawaban_tetap BEFORE UPDATE ON kuota.permintaan
      FOR EACH ROW EXECUTE FUNCTION kuota.jawaban_tetap();
    CREATE TRIGGER permintaan_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.permintaan
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;

-- Every answer file the pipeline looked at, by its sha256: loaded (at most one per batch) or
-- quarantined with the error. A repeated answer with a loaded sha256 is ignored.
CREATE TABLE IF NOT EXISTS kuota.jawaban (
    batch_id     text NOT NULL REFERENCES kuota.batch,
    sha256       text NOT NULL,
    hasil        text NOT NULL CHECK (hasil IN ('dimuat', 'dikarantina')),
    baris        bigint,
    pesan        text,   -- the error, for a quarantined answer
    karantina    text,   -- where it was moved
    diterima_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, sha256),
    CHECK ((hasil = 'dikarantina') = (pesan IS NOT NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS jawaban_dimuat_sekali ON kuota.jawaban (batch_id) WHERE hasil = 'dimuat';
-- The loaded answer's object as it was read (size:ETag on S3): a stage run lists the answers of
-- loaded batches and hashes again only those whose object changed since (a provider that
-- overwrote its answer): the new bytes are quarantined and the first answer stands.
ALTER TABLE kuota.jawaban ADD COLUMN IF NOT EXISTS sidik text;

-- Recipients waiting for a provider's answer, by number: an answer batch finds its recipients
-- without scanning the period (small: only the records in flight are in it).
CREATE INDEX IF NOT EXISTS penerima_menunggu ON kuota.penerima (periode, msisdn)
    WHERE status IN ('dikirim_validasi', 'dikirim_injeksi');
