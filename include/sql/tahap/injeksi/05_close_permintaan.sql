-- Step: the period's deadline has passed: injection requests still unanswered are closed
-- ('tanpa_respons') and their recipients (through the ledger) become residu
-- tanpa_respons_provider (domain.md, states). Never asked again in the period: the provider
-- may have injected without saying so, and is not paid for what it did not report. A second
-- run finds nothing open. Params: periode.
WITH tutup AS (
  UPDATE kuota.permintaan SET hasil = 'tanpa_respons', dijawab_at = now()
  WHERE periode = %(periode)s AND jenis = 'injeksi' AND hasil IS NULL
  RETURNING request_id, batch_id
), residu AS (
  UPDATE kuota.penerima p SET status = 'residu', alasan = 'tanpa_respons_provider', diubah_at = now()
  FROM tutup t JOIN kuota.injeksi i USING (request_id)
  WHERE p.periode = %(periode)s AND p.jenis = i.jenis AND p.id = i.id AND p.status = 'dikirim_injeksi'
  RETURNING p.provider
)
SELECT (SELECT count(*) FROM tutup), (SELECT count(*) FROM residu),
       (SELECT coalesce(string_agg(DISTINCT batch_id, ', '), '') FROM tutup)
