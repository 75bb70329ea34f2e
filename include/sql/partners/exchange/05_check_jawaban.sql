-- Step: the rows of a provider's answer (in temp table jawaban_masuk, baris = line in the file)
-- that break the contract (exchange.md §2): a request_id/msisdn pair not in the batch, an
-- unknown status, a validation request answered twice, an injection request answered both
-- berhasil and gagal, a berhasil without its injection time. (An injection request repeated
-- with the same status is a provider anomaly, recorded when loading, not a broken file.)
-- The first five, with how many there are (request ids, never numbers: the error goes to logs).
-- Params: batch_id, jenis, statuses.
WITH j AS (
  SELECT baris, request_id, msisdn, status, waktu_injeksi,
         count(*) OVER w AS kali, min(status) OVER w <> max(status) OVER w AS bertentangan
  FROM jawaban_masuk
  WINDOW w AS (PARTITION BY request_id)
), salah AS (
  SELECT j.baris, j.request_id, j.status,
         CASE WHEN r.request_id IS NULL OR r.msisdn IS DISTINCT FROM j.msisdn
                THEN 'request_id/msisdn pair not in the batch'
              WHEN j.status IS NULL OR NOT (j.status = ANY (%(statuses)s))
                THEN 'unknown status'
              WHEN %(jenis)s = 'validasi' AND j.kali > 1 THEN 'request answered more than once'
              WHEN j.bertentangan THEN 'request answered both berhasil and gagal'
              WHEN %(jenis)s = 'injeksi' AND (j.status = 'berhasil' OR coalesce(j.waktu_injeksi, '') <> '')
                   AND NOT kuota.is_waktu(coalesce(j.waktu_injeksi, ''))
                THEN 'waktu_injeksi is not an ISO 8601 timestamp with offset'
         END AS aturan
  FROM j LEFT JOIN kuota.permintaan r ON r.request_id = j.request_id AND r.batch_id = %(batch_id)s
)
SELECT baris, request_id, status, aturan, count(*) OVER () AS jumlah
FROM salah WHERE aturan IS NOT NULL
ORDER BY baris LIMIT 5
