-- Step: requests of a batch its answer (temp table jawaban_masuk) leaves out: the first five,
-- with how many there are. Params: batch_id.
SELECT r.request_id, r.msisdn, count(*) OVER () AS jumlah
FROM kuota.permintaan r
WHERE r.batch_id = %(batch_id)s
  AND NOT EXISTS (SELECT 1 FROM jawaban_masuk j WHERE j.request_id = r.request_id)
ORDER BY r.request_id LIMIT 5
