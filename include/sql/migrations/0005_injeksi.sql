-- The injection ledger (domain.md flow 8-11; exchange.md §2, injeksi): what was asked of a
-- provider for whom, under which approved SPTJM. The money rules are constraints here, not
-- code: no injection request without an approved SPTJM listing that record with that number
-- and package, and at most one injection per recipient per period.
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.
SELECT pg_advisory_xact_lock(4242001);

-- Injection requests carry the package (what may leave, with request_id and msisdn); the
-- provider's answer adds its reason and the injection time.
ALTER TABLE kuota.permintaan ADD COLUMN IF NOT EXISTS paket_gb int CHECK (paket_gb > 0);
ALTER TABLE kuota.permintaan ADD COLUMN IF NOT EXISTS alasan text;
ALTER TABLE kuota.permintaan ADD COLUMN IF NOT EXISTS waktu_injeksi timestamptz;

-- One row per injection request: the recipient behind it and the SPTJM that allows it.
-- keputusan is always 'disetujui' and part of the foreign key to the SPTJM: a request under an
-- SPTJM not (yet) approved cannot exist. The second key ties the request to the locked row of
-- that record on that SPTJM, number, provider and package included. Never changed or deleted.
CREATE TABLE IF NOT EXISTS kuota.injeksi (
    request_id  text PRIMARY KEY,
    batch_id    text NOT NULL REFERENCES kuota.batch,
    periode     text NOT NULL,
    jenis       text NOT NULL CHECK (jenis IN ('pd', 'ptk')),
    id          uuid NOT NULL,
    sptjm_no    text NOT NULL,
    keputusan   text NOT NULL DEFAULT 'disetujui' CHECK (keputusan = 'disetujui'),
    msisdn      text NOT NULL,
    provider    text NOT NULL,
    paket_gb    int NOT NULL,
    FOREIGN KEY (sptjm_no, keputusan) REFERENCES kuota.sptjm (sptjm_no, keputusan),
    FOREIGN KEY (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb)
        REFERENCES kuota.sptjm_penerima (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb),
    -- At most one injection per recipient per period, whatever is retried, cleared, re-run or
    -- backfilled: a failed or unanswered request is not asked again in the period.
    CONSTRAINT injeksi_sekali_per_periode UNIQUE (periode, jenis, id),
    UNIQUE (request_id, msisdn, paket_gb)  -- what kuota.permintaan's gate refers to
);
CREATE INDEX IF NOT EXISTS injeksi_batch ON kuota.injeksi (batch_id);

DO $$
BEGIN
  -- Every injection request that leaves has its ledger row, with the same number and package;
  -- validation requests carry no package and are not concerned.
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'permintaan_paket_injeksi') THEN
    ALTER TABLE kuota.permintaan ADD CONSTRAINT permintaan_paket_injeksi
      CHECK ((jenis = 'injeksi') = (paket_gb IS NOT NULL));
    ALTER TABLE kuota.permintaan ADD CONSTRAINT permintaan_injeksi_di_ledger
      FOREIGN KEY (request_id, msisdn, paket_gb) REFERENCES kuota.injeksi (request_id, msisdn, paket_gb);
    -- And every ledger row is a request sent (checked at commit: both are written together).
    ALTER TABLE kuota.injeksi ADD CONSTRAINT injeksi_dikirim
      FOREIGN KEY (request_id) REFERENCES kuota.permintaan DEFERRABLE INITIALLY DEFERRED;
    -- ... in a batch to the provider its SPTJM locked.
    ALTER TABLE kuota.batch ADD CONSTRAINT batch_provider UNIQUE (batch_id, provider);
    ALTER TABLE kuota.injeksi ADD CONSTRAINT injeksi_batch_provider
      FOREIGN KEY (batch_id, provider) REFERENCES kuota.batch (batch_id, provider);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'injeksi_tetap') THEN
    CREATE TRIGGER injeksi_tetap BEFORE UPDATE OR DELETE ON kuota.injeksi
      FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();
    CREATE TRIGGER injeksi_tidak_dikosongkan BEFORE TRUNCATE ON kuota.injeksi
      FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;

-- What a provider reported that changes nothing but must be seen: a berhasil for a request
-- already berhasil (exchange.md §2), from a repeated row or a second answer to a batch.
CREATE TABLE IF NOT EXISTS kuota.anomali_provider (
    batch_id    text NOT NULL REFERENCES kuota.batch,
    sha256      text NOT NULL,   -- of the answer it came in
    baris       bigint NOT NULL, -- line in that answer
    request_id  text NOT NULL,
    jenis       text NOT NULL CHECK (jenis IN ('berhasil_ganda')),
    dicatat_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, sha256, baris)
);
-- A provider that overwrote an answer already loaded (jawaban_berubah) is an anomaly of the
-- whole file: its line is 0 and it names no request.
ALTER TABLE kuota.anomali_provider ALTER COLUMN request_id DROP NOT NULL;
ALTER TABLE kuota.anomali_provider DROP CONSTRAINT IF EXISTS anomali_provider_jenis_check;
ALTER TABLE kuota.anomali_provider DROP CONSTRAINT IF EXISTS anomali_provider_jenis;
ALTER TABLE kuota.anomali_provider ADD CONSTRAINT anomali_provider_jenis CHECK (
    (jenis = 'berhasil_ganda' AND request_id IS NOT NULL AND baris > 0)
 OR (jenis = 'jawaban_berubah' AND request_id IS NULL AND baris = 0));

-- An ISO 8601 timestamp with an offset (exchange.md, Conventions), checked before any cast so a
-- partner's bad value is reported with its line instead of failing the load.
CREATE OR REPLACE FUNCTION kuota.is_waktu(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
    THEN snapshot.is_date(left(v, 10)) AND substr(v, 12, 2)::int < 24 AND substr(v, 15, 2)::int < 60
         AND (substr(v, 17, 1) <> ':' OR substr(v, 18, 2)::int < 60)
    ELSE false END
$$;

-- The reconciliation suite's views (one period: the session setting kuota.periode), read by
-- GX as table assets. Per provider: every injection request asked is answered berhasil or
-- gagal, closed unanswered, or still pending (selisih 0), and the ledger's outcomes agree
-- with the recipients' states, in packages and GB.
CREATE OR REPLACE VIEW quality.rekonsiliasi AS
WITH r AS (
  SELECT i.provider, count(*) AS diminta,
         count(*) FILTER (WHERE r.hasil = 'berhasil') AS berhasil,
         count(*) FILTER (WHERE r.hasil = 'gagal') AS gagal,
         count(*) FILTER (WHERE r.hasil = 'tanpa_respons') AS tanpa_respons,
         count(*) FILTER (WHERE r.hasil IS NULL) AS menunggu,
         coalesce(sum(r.paket_gb) FILTER (WHERE r.hasil = 'berhasil'), 0) AS gb_berhasil,
         count(*) FILTER (WHERE p.status = 'berhasil') AS penerima_berhasil,
         coalesce(sum(p.paket_gb) FILTER (WHERE p.status = 'berhasil'), 0) AS gb_penerima_berhasil,
         count(*) FILTER (WHERE p.alasan = 'injeksi_gagal') AS penerima_gagal,
         count(*) FILTER (WHERE p.status = 'dikirim_injeksi') AS penerima_menunggu
  FROM kuota.injeksi i
  JOIN kuota.permintaan r USING (request_id)
  JOIN kuota.penerima p ON p.periode = i.periode AND p.jenis = i.jenis AND p.id = i.id
  WHERE i.periode = current_setting('kuota.periode')
  GROUP BY i.provider
)
SELECT *, diminta - (berhasil + gagal + tanpa_respons + menunggu) AS selisih FROM r;

-- Recipients berhasil without a berhasil request in the ledger: must be none.
CREATE OR REPLACE VIEW quality.berhasil_tanpa_ledger AS
SELECT p.jenis, p.id, p.provider
FROM kuota.penerima p
WHERE p.periode = current_setting('kuota.periode') AND p.status = 'berhasil'
  AND NOT EXISTS (SELECT 1 FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id)
                  WHERE i.periode = p.periode AND i.jenis = p.jenis AND i.id = p.id AND r.hasil = 'berhasil');

-- The ledger of the period: one row per injection request.
CREATE OR REPLACE VIEW quality.injeksi AS
SELECT i.*, r.hasil FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id)
WHERE i.periode = current_setting('kuota.periode');
