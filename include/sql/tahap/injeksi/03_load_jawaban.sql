-- Step: load a checked injection answer (temp table jawaban_masuk) in one transaction: the
-- requests get their answer, reason and time; the recipients (through the ledger) become
-- berhasil or residu injeksi_gagal; the answer is recorded by its sha256 (the unique index
-- jawaban_dimuat_sekali makes a second load of the batch fail). A request repeated berhasil in
-- the file is counted once and recorded as a provider anomaly. Params: batch_id, sha256, baris, sidik (the object's size:ETag).
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

WITH diubah AS (
  UPDATE kuota.penerima p
  SET status = CASE r.hasil WHEN 'berhasil' THEN 'berhasil' ELSE 'residu' END,
      alasan = CASE r.hasil WHEN 'gagal' THEN 'injeksi_gagal' END,
      diubah_at = now()
  FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id)
  WHERE i.batch_id = %(batch_id)s AND p.periode = i.periode AND p.jenis = i.jenis AND p.id = i.id
    AND p.status = 'dikirim_injeksi'
  RETURNING p.status, p.alasan
)
SELECT status, coalesce(alasan, ''), count(*) FROM diubah GROUP BY 1, 2 ORDER BY 1, 2
