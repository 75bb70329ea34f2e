-- Step: requests of a batch its answer (temp table jawaban_masuk) leaves out: the first five,
-- with how many there are (request ids only: no number leaves in a log). Materialized first: one hash anti-join over the batch (with the
-- LIMIT beside it, the planner would otherwise pick a nested loop). Params: batch_id.
WITH hilang AS MATERIALIZED (
  SELECT r.request_id
  FROM kuota.permintaan r
  LEFT JOIN jawaban_masuk j ON j.request_id = r.request_id
  WHERE r.batch_id = %(batch_id)s AND j.request_id IS NULL
)
SELECT request_id, (SELECT count(*) FROM hilang) AS jumlah
FROM hilang ORDER BY request_id LIMIT 5
