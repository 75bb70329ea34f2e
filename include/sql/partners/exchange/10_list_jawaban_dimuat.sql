-- Step: the loaded answers of a kind in the period, with the object fingerprint (size:ETag)
-- each was read with: a stage run compares them with one listing per provider to notice an
-- answer overwritten after it was loaded. Params: periode, jenis.
SELECT b.batch_id, b.provider, j.sha256, j.sidik
FROM kuota.batch b
JOIN kuota.jawaban j ON j.batch_id = b.batch_id AND j.hasil = 'dimuat'
WHERE b.periode = %(periode)s AND b.jenis = %(jenis)s
ORDER BY b.provider, b.batch_id
