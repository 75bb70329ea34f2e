-- Step: the SPTJMs of a period not yet written to the portal (no sha256 recorded), each row
-- one recipient it lists, ordered by SPTJM then record: what the CSV and the printable PDF
-- hold (exchange.md §3), with the school and its principal for the PDF's heading. Names go
-- to the record's own school only. Set-based: the schools and their principals are looked up
-- once, by hash (a lookup per SPTJM scanned the cutoff's PTK each time: hours at 10 million).
-- Params: periode, provinsi (NULL: every SPTJM; a BPS code: the SPTJMs of that province's
-- schools; '': of a school the cutoff does not hold, so that each SPTJM has one province).
WITH pr AS MATERIALIZED (
  SELECT cutoff_id FROM kuota.periode WHERE periode = %(periode)s
), k AS MATERIALIZED (
  SELECT k.sptjm_no, k.npsn, k.urutan, k.tahap, k.baris, k.paket_gb,
         to_char(k.dibuat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS dibuat_at
  FROM kuota.sptjm k
  WHERE k.periode = %(periode)s AND k.sha256 IS NULL
), sekolah AS MATERIALIZED (
  SELECT DISTINCT ON (s.npsn) s.npsn, s.sekolah_id, s.nama, s.kode_provinsi::text AS kode_provinsi
  FROM snapshot.sekolah s
  WHERE s.cutoff_id = (SELECT cutoff_id FROM pr) AND s.npsn IN (SELECT npsn FROM k)
  ORDER BY s.npsn, s.sekolah_id
), head AS MATERIALIZED (
  SELECT k.*, coalesce(s.nama, '') AS nama_sekolah, s.sekolah_id
  FROM k
  LEFT JOIN sekolah s ON s.npsn = k.npsn
  WHERE %(provinsi)s::text IS NULL OR coalesce(s.kode_provinsi, '') = %(provinsi)s::text
), kepala AS MATERIALIZED (
  SELECT DISTINCT ON (t.sekolah_id) t.sekolah_id, t.nama
  FROM snapshot.ptk t
  WHERE t.cutoff_id = (SELECT cutoff_id FROM pr) AND t.jenis_ptk = 'kepala_sekolah' AND t.status = 'aktif'
    AND t.ptk_induk AND t.sekolah_id IN (SELECT sekolah_id FROM head)
  ORDER BY t.sekolah_id, t.nama, t.ptk_id
)
SELECT k.sptjm_no, k.npsn, k.urutan, k.tahap, k.baris, k.paket_gb, k.dibuat_at, k.nama_sekolah,
       coalesce(h.nama, '') AS kepala_sekolah, sp.jenis, sp.id, coalesce(d.nama, t.nama, '') AS nama,
       sp.msisdn, sp.provider, sp.paket_gb AS paket
FROM head k
LEFT JOIN kepala h ON h.sekolah_id = k.sekolah_id
JOIN kuota.sptjm_penerima sp ON sp.sptjm_no = k.sptjm_no
LEFT JOIN snapshot.peserta_didik d ON sp.jenis = 'pd' AND d.cutoff_id = (SELECT cutoff_id FROM pr)
                                  AND d.peserta_didik_id = sp.id
LEFT JOIN snapshot.ptk t ON sp.jenis = 'ptk' AND t.cutoff_id = (SELECT cutoff_id FROM pr) AND t.ptk_id = sp.id
ORDER BY k.sptjm_no, sp.jenis, sp.id;
