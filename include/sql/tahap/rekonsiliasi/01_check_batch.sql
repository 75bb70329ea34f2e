-- Step: where the period's provider exchange stands, for its final check. One row per batch
-- still open (requests pending), of either kind, with its last quarantined answer if any; then
-- the ledger's consistency (each must be 0): recipients waiting for a validation without an
-- open request, recipients waiting for an injection without an open request, loaded batches
-- with requests left pending. Params: periode.
SELECT 'batch' AS jenis, b.batch_id, b.provider,
       (SELECT count(*) FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil IS NULL) AS terbuka,
       (SELECT j.pesan FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dikarantina'
        ORDER BY j.diterima_at DESC LIMIT 1) AS karantina
FROM kuota.batch b
WHERE b.periode = %(periode)s
  AND EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil IS NULL)
UNION ALL
SELECT 'menunggu_validasi_tanpa_permintaan', NULL, NULL, count(*), NULL
FROM kuota.penerima p
WHERE p.periode = %(periode)s AND p.status = 'dikirim_validasi'
  AND NOT EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.periode = p.periode AND r.jenis = 'validasi'
                  AND r.msisdn = p.msisdn AND r.hasil IS NULL)
UNION ALL
SELECT 'menunggu_injeksi_tanpa_permintaan', NULL, NULL, count(*), NULL
FROM kuota.penerima p
WHERE p.periode = %(periode)s AND p.status = 'dikirim_injeksi'
  AND NOT EXISTS (SELECT 1 FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id)
                  WHERE i.periode = p.periode AND i.jenis = p.jenis AND i.id = p.id AND r.hasil IS NULL)
UNION ALL
SELECT 'dimuat_tapi_terbuka', NULL, NULL, count(*), NULL
FROM kuota.permintaan r JOIN kuota.jawaban j ON j.batch_id = r.batch_id AND j.hasil = 'dimuat'
WHERE r.periode = %(periode)s AND r.hasil IS NULL
ORDER BY 1, 2
