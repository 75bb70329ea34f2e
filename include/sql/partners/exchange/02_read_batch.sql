-- Step: one batch and where it stands: what was sent (rows, sha256, created_at for its
-- manifest), the sha256 of its loaded answer if any, when an answer was last quarantined, and how many of its requests were closed
-- at the deadline. Params: batch_id.
SELECT b.batch_id, b.periode, b.provider, b.jenis, b.baris, b.sha256,
       to_char(b.dibuat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS dibuat_at,
       (SELECT j.sha256 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat') AS dimuat_sha256,
       (SELECT extract(epoch FROM max(j.diterima_at)) FROM kuota.jawaban j
        WHERE j.batch_id = b.batch_id AND j.hasil = 'dikarantina') AS karantina_epoch,
       (SELECT count(*) FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil = 'tanpa_respons') AS ditutup
FROM kuota.batch b
WHERE b.batch_id = %(batch_id)s
