-- Step: the SPTJMs of a period not yet written to the portal (no sha256 recorded), each row
-- one recipient it lists, ordered by SPTJM then record: what the CSV and the printable PDF
-- hold (exchange.md §3), with the school and its principal for the PDF's heading. Names go
-- to the record's own school only. Params: periode.
WITH k AS MATERIALIZED (
  SELECT k.sptjm_no, k.npsn, k.urutan, k.tahap, k.baris, k.paket_gb,
         to_char(k.dibuat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS dibuat_at,
         coalesce(sk.nama, '') AS nama_sekolah,
         coalesce((SELECT t.nama FROM snapshot.ptk t
                   WHERE t.cutoff_id = pr.cutoff_id AND t.sekolah_id = sk.sekolah_id
                     AND t.jenis_ptk = 'kepala_sekolah' AND t.status = 'aktif' AND t.ptk_induk
                   ORDER BY t.nama, t.ptk_id LIMIT 1), '') AS kepala_sekolah,
         pr.cutoff_id
  FROM kuota.sptjm k
  JOIN kuota.periode pr ON pr.periode = k.periode
  LEFT JOIN LATERAL (SELECT s.sekolah_id, s.nama FROM snapshot.sekolah s
                     WHERE s.cutoff_id = pr.cutoff_id AND s.npsn = k.npsn
                     ORDER BY s.sekolah_id LIMIT 1) sk ON true
  WHERE k.periode = %(periode)s AND k.sha256 IS NULL
)
SELECT k.sptjm_no, k.npsn, k.urutan, k.tahap, k.baris, k.paket_gb, k.dibuat_at, k.nama_sekolah,
       k.kepala_sekolah, sp.jenis, sp.id, coalesce(d.nama, t.nama, '') AS nama, sp.msisdn, sp.provider,
       sp.paket_gb AS paket
FROM k
JOIN kuota.sptjm_penerima sp ON sp.sptjm_no = k.sptjm_no
LEFT JOIN snapshot.peserta_didik d ON sp.jenis = 'pd' AND d.cutoff_id = k.cutoff_id AND d.peserta_didik_id = sp.id
LEFT JOIN snapshot.ptk t ON sp.jenis = 'ptk' AND t.cutoff_id = k.cutoff_id AND t.ptk_id = sp.id
ORDER BY k.sptjm_no, sp.jenis, sp.id;
