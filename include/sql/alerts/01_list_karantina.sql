-- Step: the partner files quarantined and not alerted yet, oldest first: the providers' answers
-- (kuota.jawaban) and the schools' portal files (kuota.berkas_portal), each with its key, its
-- period, who sent it, the file, where it was moved and the error (the pipeline's own text).
-- Params: none.
SELECT kunci, periode, sumber, jenis, pengirim, berkas, karantina, pesan, diterima_at
FROM (
    SELECT 'karantina:jawaban:' || j.batch_id || ':' || j.sha256 AS kunci, b.periode,
           'provider' AS sumber, b.jenis, b.provider AS pengirim, j.batch_id AS berkas,
           j.karantina, j.pesan, j.diterima_at
    FROM kuota.jawaban j
    JOIN kuota.batch b USING (batch_id)
    WHERE j.hasil = 'dikarantina'
    UNION ALL
    SELECT 'karantina:portal:' || f.periode || ':' || f.jenis || ':' || f.nama || ':' || f.sha256, f.periode,
           'sekolah', f.jenis, NULL, f.nama, f.karantina, f.pesan, f.diterima_at
    FROM kuota.berkas_portal f
    WHERE f.hasil = 'dikarantina'
) q
WHERE NOT EXISTS (SELECT 1 FROM kuota.peringatan p WHERE p.kunci = q.kunci)
ORDER BY diterima_at, kunci;
