-- Step: the rows of a provider's answer (in temp table jawaban_masuk, baris = line in the file)
-- that break the contract (exchange.md §2): a request_id/msisdn pair not in the batch, an
-- unknown status, a request answered twice. The first five, with how many there are.
-- Params: batch_id, statuses.
WITH j AS (
  SELECT baris, request_id, msisdn, status, count(*) OVER (PARTITION BY request_id) AS kali
  FROM jawaban_masuk
), salah AS (
  SELECT j.baris, j.request_id, j.msisdn, j.status,
         CASE WHEN r.request_id IS NULL OR r.msisdn IS DISTINCT FROM j.msisdn
                THEN 'request_id/msisdn pair not in the batch'
              WHEN j.status IS NULL OR NOT (j.status = ANY (%(statuses)s))
                THEN 'unknown status'
              WHEN j.kali > 1 THEN 'request answered more than once'
         END AS aturan
  FROM j LEFT JOIN kuota.permintaan r ON r.request_id = j.request_id AND r.batch_id = %(batch_id)s
)
SELECT baris, request_id, msisdn, status, aturan, count(*) OVER () AS jumlah
FROM salah WHERE aturan IS NOT NULL
ORDER BY baris LIMIT 5
