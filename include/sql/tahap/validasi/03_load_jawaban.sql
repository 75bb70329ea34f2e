-- Step: load a checked validation answer (temp table jawaban_masuk) in one transaction: the
-- requests get their answer, the recipients on each number become valid (aktif, pascabayar)
-- or residu (domain.md, K4), and the answer is recorded by its sha256; the unique index
-- jawaban_dimuat_sekali makes a second load of the batch fail. Params: batch_id, sha256, baris, sidik (the object's size:ETag).
INSERT INTO kuota.jawaban (batch_id, sha256, hasil, baris, sidik)
VALUES (%(batch_id)s, %(sha256)s, 'dimuat', %(baris)s, %(sidik)s)
-- The same bytes quarantined before for their manifest alone, answered again with a good one:
-- loaded now; the error file stays under karantina/.
ON CONFLICT (batch_id, sha256) DO UPDATE
  SET hasil = 'dimuat', baris = EXCLUDED.baris, sidik = EXCLUDED.sidik, pesan = NULL, karantina = NULL,
      diterima_at = now();

UPDATE kuota.permintaan r SET hasil = j.status, dijawab_at = now()
FROM jawaban_masuk j
WHERE r.batch_id = %(batch_id)s AND r.request_id = j.request_id;

WITH diubah AS (
  UPDATE kuota.penerima p
  SET status = CASE WHEN r.hasil IN ('aktif', 'pascabayar') THEN 'valid' ELSE 'residu' END,
      alasan = CASE r.hasil WHEN 'tidak_aktif' THEN 'nomor_tidak_aktif' WHEN 'masa_tenggang' THEN 'masa_tenggang'
                            WHEN 'tidak_dikenal' THEN 'tidak_dikenal_provider' END,
      diubah_at = now()
  FROM kuota.permintaan r
  WHERE r.batch_id = %(batch_id)s AND p.periode = r.periode AND p.msisdn = r.msisdn
    AND p.status = 'dikirim_validasi'
  RETURNING p.status, p.alasan
)
SELECT status, coalesce(alasan, ''), count(*) FROM diubah GROUP BY 1, 2 ORDER BY 1, 2
