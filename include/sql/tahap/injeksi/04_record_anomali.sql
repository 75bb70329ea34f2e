-- Step: berhasil rows of an injection answer (temp table jawaban_masuk) for requests of the
-- batch already berhasil, recorded as provider anomalies (exchange.md §2): they change
-- nothing and are never counted twice. Idempotent per answer and line. Params: batch_id, sha256.
WITH baru AS (
  INSERT INTO kuota.anomali_provider (batch_id, sha256, baris, request_id, jenis)
  SELECT %(batch_id)s, %(sha256)s, j.baris, j.request_id, 'berhasil_ganda'
  FROM jawaban_masuk j
  JOIN kuota.permintaan r ON r.request_id = j.request_id AND r.batch_id = %(batch_id)s AND r.hasil = 'berhasil'
  WHERE j.status = 'berhasil'
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT count(*) FROM baru
