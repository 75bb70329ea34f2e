-- Step: the quarantined partner files of a period, newest first: provider answers (their batch,
-- and when an answer of that batch was loaded, if one was) and the schools' portal files
-- (corrections, decisions), with the error and where the file was moved. Params: periode.
SELECT 'provider' AS dari, b.provider, b.jenis, b.batch_id, j.karantina, j.pesan, j.diterima_at,
       (SELECT d.diterima_at FROM kuota.jawaban d WHERE d.batch_id = b.batch_id AND d.hasil = 'dimuat') AS dimuat_at
FROM kuota.jawaban j JOIN kuota.batch b USING (batch_id)
WHERE b.periode = %(periode)s AND j.hasil = 'dikarantina'
UNION ALL
SELECT 'sekolah', NULL, f.jenis, NULL, coalesce(f.karantina, f.nama), f.pesan, f.diterima_at, NULL
FROM kuota.berkas_portal f
WHERE f.periode = %(periode)s AND f.hasil = 'dikarantina'
ORDER BY 7 DESC
LIMIT 500;
