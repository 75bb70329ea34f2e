-- The cockpit's live exchange view (include/sql/cockpit/02_count_batch.sql) asks of each batch
-- whether the deadline closed it, once per batch: found here without reading the batch's rows
-- (small: only the requests closed unanswered are in it). With permintaan_terbuka (0008) the
-- view costs a probe per batch, whatever the period's size.
-- Written to be re-applied (IF NOT EXISTS), like every migration.
CREATE INDEX IF NOT EXISTS permintaan_tanpa_respons ON kuota.permintaan (batch_id) WHERE hasil = 'tanpa_respons';

-- Where a row of a GROUPING SETS over (prov, kab, npsn) sits, from grouping(prov, kab, npsn):
-- its level, its code and its parent's code; one rule for the funnel and the residu
-- (include/sql/cockpit/04_refresh_rekap.sql).
CREATE OR REPLACE FUNCTION cockpit.level_of(bits int, prov text, kab text, npsn text,
                                           OUT tingkat text, OUT kode text, OUT induk text)
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE bits WHEN 0 THEN 'sekolah' WHEN 1 THEN 'kabupaten' WHEN 3 THEN 'provinsi' ELSE 'indonesia' END,
         CASE bits WHEN 0 THEN npsn WHEN 1 THEN kab WHEN 3 THEN prov ELSE '' END,
         CASE bits WHEN 0 THEN kab WHEN 1 THEN prov ELSE '' END
$$;
