-- Step: load a checked injection answer (temp table jawaban_masuk) in one transaction: the
-- requests get their answer, reason and time; the recipients (through the ledger) become
-- berhasil or residu injeksi_gagal; the answer is recorded by its sha256 (the unique index
-- jawaban_dimuat_sekali makes a second load of the batch fail). A request repeated berhasil in
-- the file is counted once and recorded as a provider anomaly. Params: batch_id, periode (the batch's), sha256, baris, sidik (the object's size:ETag).
INSERT INTO kuota.jawaban (batch_id, sha256, hasil, baris, sidik)
VALUES (%(batch_id)s, %(sha256)s, 'dimuat', %(baris)s, %(sidik)s)
-- The same bytes quarantined before for their manifest alone, answered again with a good one:
-- loaded now; the error file stays under karantina/.
ON CONFLICT (batch_id, sha256) DO UPDATE
  SET hasil = 'dimuat', baris = EXCLUDED.baris, sidik = EXCLUDED.sidik, pesan = NULL, karantina = NULL,
      diterima_at = now();

UPDATE kuota.permintaan r
SET hasil = j.status, alasan = nullif(j.alasan, ''),
    waktu_injeksi = CASE WHEN coalesce(j.waktu_injeksi, '') <> '' THEN j.waktu_injeksi::timestamptz END,
    dijawab_at = now()
FROM (SELECT DISTINCT ON (request_id) * FROM jawaban_masuk ORDER BY request_id, baris) j
WHERE r.batch_id = %(batch_id)s AND r.request_id = j.request_id;

INSERT INTO kuota.anomali_provider (batch_id, sha256, baris, request_id, jenis)
SELECT %(batch_id)s, %(sha256)s, baris, request_id, 'berhasil_ganda'
FROM (SELECT baris, request_id, status, row_number() OVER (PARTITION BY request_id ORDER BY baris) AS ke
      FROM jawaban_masuk) j
WHERE ke > 1 AND status = 'berhasil'
ON CONFLICT DO NOTHING;

-- The recipients through the ledger: the batch's ledger rows by its index, each request by
-- its key, and each recipient by one probe of its primary key (the LATERAL ... OFFSET 0 keeps
-- that order); each row is then updated where that probe found it (its ctid, read in this
-- statement). The work grows with the batch, not the period, whatever the statistics of
-- status say (planned from them, a batch could hash every recipient of the period). Nothing
-- else changes a recipient while it is dikirim_injeksi: its request is in this one open
-- batch, whose lock this step holds, and the deadline's close waits for the close lock.
-- Neither hash nor merge join, nor JIT (SET LOCAL: to the end of the transaction, which this
-- statement ends).
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL enable_memoize = off;
SET LOCAL jit = off;

WITH ditemukan AS MATERIALIZED (
  SELECT r.hasil, q.tid, q.periode, q.jenis, q.id, q.status
  FROM kuota.injeksi i
  JOIN kuota.permintaan r USING (request_id)
  CROSS JOIN LATERAL (SELECT q.ctid AS tid, q.periode, q.jenis, q.id, q.status FROM kuota.penerima q
                      WHERE q.periode = %(periode)s AND q.periode = i.periode AND q.jenis = i.jenis AND q.id = i.id
                        AND q.status = 'dikirim_injeksi'
                      OFFSET 0) q
  WHERE i.batch_id = %(batch_id)s
), diubah AS (
  UPDATE kuota.penerima p
  SET status = CASE s.hasil WHEN 'berhasil' THEN 'berhasil' ELSE 'residu' END,
      alasan = CASE s.hasil WHEN 'gagal' THEN 'injeksi_gagal' END,
      diubah_at = now()
  FROM ditemukan s
  WHERE p.periode = %(periode)s AND p.ctid = s.tid AND p.periode = s.periode AND p.jenis = s.jenis AND p.id = s.id
    AND p.status = s.status
  RETURNING p.status, p.alasan
)
-- With the recipients found, so that the caller fails the load (and rolls it back) if one
-- found was not updated: a row changed since it was found would be skipped, not silently.
SELECT d.status, d.alasan, d.jumlah, f.jumlah AS ditemukan
FROM (SELECT count(*) AS jumlah FROM ditemukan) f
LEFT JOIN (SELECT status, coalesce(alasan, '') AS alasan, count(*) AS jumlah FROM diubah GROUP BY 1, 2) d ON true
ORDER BY 1, 2
