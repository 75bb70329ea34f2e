-- Step: the period's deadline has passed: validation requests still unanswered are closed
-- ('tanpa_respons') and the recipients waiting on them become residu tanpa_respons_provider
-- (exchange.md §2). A second run finds nothing open. Params: periode.
WITH tutup AS (
  UPDATE kuota.permintaan SET hasil = 'tanpa_respons', dijawab_at = now()
  WHERE periode = %(periode)s AND jenis = 'validasi' AND hasil IS NULL
  RETURNING batch_id, msisdn
), residu AS (
  UPDATE kuota.penerima p SET status = 'residu', alasan = 'tanpa_respons_provider', diubah_at = now()
  FROM tutup t
  WHERE p.periode = %(periode)s AND p.msisdn = t.msisdn AND p.status = 'dikirim_validasi'
  RETURNING p.provider
)
SELECT (SELECT count(*) FROM tutup), (SELECT count(*) FROM residu),
       (SELECT coalesce(string_agg(DISTINCT batch_id, ', '), '') FROM tutup)
