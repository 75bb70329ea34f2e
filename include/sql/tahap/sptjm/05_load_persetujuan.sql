-- Step: apply a checked decisions file (temp table berkas_masuk) in one transaction
-- (domain.md flow 7, K5): each SPTJM not yet decided takes its decision (final); the records
-- of an approved SPTJM become sptjm_disetujui, those of a rejected one residu sptjm_ditolak,
-- and a rejection releases their lock (the school may correct them). The file is recorded by
-- its sha256. Params: periode, berkas, nama, sha256, baris, tahap. Returns counts by key.
INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, tahap, baris)
VALUES (%(periode)s, 'persetujuan', %(nama)s, %(sha256)s, 'dimuat', %(tahap)s, %(baris)s)
-- The same bytes quarantined before for their manifest alone (a wrong row count, a missing
-- field), sent again with a good one: loaded now; the error file stays under karantina/.
ON CONFLICT (periode, jenis, nama, sha256) DO UPDATE
  SET hasil = 'dimuat', tahap = EXCLUDED.tahap, baris = EXCLUDED.baris, pesan = NULL, karantina = NULL,
      diterima_at = now();

CREATE TEMP TABLE diputus (sptjm_no text, keputusan text) ON COMMIT DROP;
WITH d AS (
  UPDATE kuota.sptjm k
  SET keputusan = m.keputusan, diputuskan_at = m.waktu::timestamptz, berkas = %(berkas)s
  FROM (SELECT DISTINCT ON (sptjm_no) sptjm_no, keputusan, waktu FROM berkas_masuk ORDER BY sptjm_no, baris) m
  WHERE k.sptjm_no = m.sptjm_no AND k.periode = %(periode)s AND k.keputusan IS NULL
  RETURNING k.sptjm_no, k.keputusan
)
INSERT INTO diputus SELECT sptjm_no, keputusan FROM d;

UPDATE kuota.sptjm_penerima SET ditolak = true
WHERE sptjm_no IN (SELECT sptjm_no FROM diputus WHERE keputusan = 'ditolak');

WITH diubah AS (
  UPDATE kuota.penerima p
  SET status = CASE d.keputusan WHEN 'disetujui' THEN 'sptjm_disetujui' ELSE 'residu' END,
      alasan = CASE d.keputusan WHEN 'ditolak' THEN 'sptjm_ditolak' END,
      diubah_at = now()
  FROM kuota.sptjm_penerima sp JOIN diputus d USING (sptjm_no)
  WHERE p.periode = %(periode)s AND p.periode = sp.periode AND p.jenis = sp.jenis AND p.id = sp.id
    AND p.status = 'sptjm_dicetak'
  RETURNING d.keputusan
)
SELECT 'sptjm_' || keputusan, count(*) FROM diputus GROUP BY 1
UNION ALL
SELECT 'penerima_' || keputusan, count(*) FROM diubah GROUP BY 1
ORDER BY 1
