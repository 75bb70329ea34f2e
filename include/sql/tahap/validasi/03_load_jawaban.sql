-- Step: load a checked validation answer (temp table jawaban_masuk) in one transaction: the
-- requests get their answer, the recipients on each number become valid (aktif, pascabayar)
-- or residu (domain.md, K4), and the answer is recorded by its sha256; the unique index
-- jawaban_dimuat_sekali makes a second load of the batch fail. Params: batch_id, periode (the batch's), sha256, baris, sidik (the object's size:ETag).
INSERT INTO kuota.jawaban (batch_id, sha256, hasil, baris, sidik)
VALUES (%(batch_id)s, %(sha256)s, 'dimuat', %(baris)s, %(sidik)s)
-- The same bytes quarantined before for their manifest alone, answered again with a good one:
-- loaded now; the error file stays under karantina/.
ON CONFLICT (batch_id, sha256) DO UPDATE
  SET hasil = 'dimuat', baris = EXCLUDED.baris, sidik = EXCLUDED.sidik, pesan = NULL, karantina = NULL,
      diterima_at = now();

UPDATE kuota.permintaan r SET hasil = j.status, dijawab_at = now()
FROM jawaban_masuk j
WHERE r.batch_id = %(batch_id)s AND r.request_id = j.request_id;

-- The recipients by number: one probe of penerima_nomor per request of the batch (the
-- LATERAL ... OFFSET 0 keeps that order), each row then updated where that probe found it
-- (its ctid, read in this statement): the work grows with the batch, not with the period.
-- The row's period, number and status are join conditions (not filters the planner would
-- estimate from statistics of status that lag behind the batches planned since the last
-- ANALYZE, and then read or hash every recipient still waiting in the period, once per
-- batch). Nothing else changes a recipient while it is dikirim_validasi: its number is in this
-- one open batch, whose lock this step holds, and the deadline's close waits for the close
-- lock. Neither hash nor merge join, nor JIT (SET LOCAL: to the end of the transaction, which
-- this statement ends).
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL enable_memoize = off;
SET LOCAL jit = off;

WITH ditemukan AS MATERIALIZED (
  SELECT r.hasil, q.tid, q.periode, q.msisdn, q.status
  FROM kuota.permintaan r
  CROSS JOIN LATERAL (SELECT q.ctid AS tid, q.periode, q.msisdn, q.status FROM kuota.penerima q
                      WHERE q.periode = %(periode)s AND q.periode = r.periode AND q.msisdn = r.msisdn
                        AND q.status = 'dikirim_validasi'
                      OFFSET 0) q
  WHERE r.batch_id = %(batch_id)s
), diubah AS (
  UPDATE kuota.penerima p
  SET status = CASE WHEN s.hasil IN ('aktif', 'pascabayar') THEN 'valid' ELSE 'residu' END,
      alasan = CASE s.hasil WHEN 'tidak_aktif' THEN 'nomor_tidak_aktif' WHEN 'masa_tenggang' THEN 'masa_tenggang'
                            WHEN 'tidak_dikenal' THEN 'tidak_dikenal_provider' END,
      diubah_at = now()
  FROM ditemukan s
  WHERE p.periode = %(periode)s AND p.ctid = s.tid AND p.periode = s.periode
    AND p.msisdn = s.msisdn AND p.status = s.status
  RETURNING p.status, p.alasan
)
-- With the recipients found, so that the caller fails the load (and rolls it back) if one
-- found was not updated: a row changed since it was found would be skipped, not silently.
SELECT d.status, d.alasan, d.jumlah, f.jumlah AS ditemukan
FROM (SELECT count(*) AS jumlah FROM ditemukan) f
LEFT JOIN (SELECT status, coalesce(alasan, '') AS alasan, count(*) AS jumlah FROM diubah GROUP BY 1, 2) d ON true
ORDER BY 1, 2
