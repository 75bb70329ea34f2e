-- The operators' alerts (peringatan): one row per alert sent, by its key, so each alert goes
-- out once whichever run, task or process finds it first. An alert is claimed by inserting its
-- row in the transaction that sends it (include/sql/alerts/04_record_peringatan.sql): a second
-- process blocks on the key until the first commits (then it sends nothing) or rolls back
-- because the mail failed (then it sends). Only ever inserted. No personal data: keys and
-- subjects name batches, files, providers and periods.
-- Written to be re-applied (IF NOT EXISTS, a guarded trigger), like every migration.
CREATE TABLE IF NOT EXISTS kuota.peringatan (
    kunci       text PRIMARY KEY,
    jenis       text NOT NULL CHECK (jenis IN ('run_gagal', 'karantina', 'provider_diam', 'batas_dekat')),
    periode     text,
    subjek      text NOT NULL,
    dikirim_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS peringatan_periode ON kuota.peringatan (periode, jenis);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'peringatan_tetap') THEN
    CREATE TRIGGER peringatan_tetap BEFORE UPDATE OR DELETE ON kuota.peringatan
      FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();
  END IF;
END $$;

-- The requests still open (what the silence and deadline alerts count), found without reading
-- the answered millions: small, only the requests in flight are in it.
CREATE INDEX IF NOT EXISTS permintaan_terbuka ON kuota.permintaan (batch_id) WHERE hasil IS NULL;
