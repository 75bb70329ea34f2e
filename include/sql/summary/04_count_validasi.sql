-- Step: the validation exchange per provider for the run summary: batches, numbers asked,
-- answers, and where the recipients stand (valid, residu by provider answer, still waiting).
-- Params: periode.
WITH b AS (
  SELECT provider, count(*) AS batch,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = kuota.batch.batch_id
                                         AND j.hasil = 'dimuat')) AS dijawab,
         sum(baris) AS nomor
  FROM kuota.batch WHERE periode = %(periode)s AND jenis = 'validasi' GROUP BY provider
), q AS (
  SELECT b2.provider, count(*) AS karantina
  FROM kuota.jawaban j JOIN kuota.batch b2 USING (batch_id)
  WHERE b2.periode = %(periode)s AND b2.jenis = 'validasi' AND j.hasil = 'dikarantina' GROUP BY 1
), p AS (
  SELECT provider,
         count(*) FILTER (WHERE status NOT IN ('residu', 'siap_validasi', 'dikirim_validasi')) AS valid,
         count(*) FILTER (WHERE alasan = 'nomor_tidak_aktif') AS tidak_aktif,
         count(*) FILTER (WHERE alasan = 'masa_tenggang') AS masa_tenggang,
         count(*) FILTER (WHERE alasan = 'tidak_dikenal_provider') AS tidak_dikenal,
         count(*) FILTER (WHERE alasan = 'tanpa_respons_provider') AS tanpa_respons,
         count(*) FILTER (WHERE status = 'dikirim_validasi') AS menunggu
  FROM kuota.penerima WHERE periode = %(periode)s AND provider IS NOT NULL GROUP BY provider
)
SELECT b.provider, b.batch, b.dijawab, coalesce(q.karantina, 0), b.nomor,
       p.valid, p.tidak_aktif, p.masa_tenggang, p.tidak_dikenal, p.tanpa_respons, p.menunggu
FROM b JOIN p USING (provider) LEFT JOIN q USING (provider)
ORDER BY b.provider
