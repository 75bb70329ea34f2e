-- Step: the rows of a school's decisions file (temp table berkas_masuk, baris = line in the
-- file; exchange.md §3, persetujuan) that break the contract: an SPTJM not issued in this
-- period, another school's SPTJM, an unknown decision, a bad time, one SPTJM both approved
-- and rejected, a decision contrary to one already taken (final). The same decision again is
-- harmless. The first five, with how many there are. Params: periode.
WITH m AS (
  SELECT b.*, min(keputusan) OVER w <> max(keputusan) OVER w AS bertentangan
  FROM berkas_masuk b WINDOW w AS (PARTITION BY sptjm_no)
), salah AS (
  SELECT m.baris, m.sptjm_no, m.npsn,
         CASE WHEN k.sptjm_no IS NULL THEN 'no SPTJM of this number was issued in the period'
              WHEN m.npsn IS DISTINCT FROM k.npsn THEN 'npsn is not the school of this SPTJM'
              WHEN m.keputusan IS NULL OR m.keputusan NOT IN ('disetujui', 'ditolak')
                THEN 'keputusan is not disetujui or ditolak'
              WHEN NOT kuota.is_waktu(coalesce(m.waktu, '')) THEN 'waktu is not an ISO 8601 timestamp with offset'
              WHEN m.bertentangan THEN 'the SPTJM is both approved and rejected in this file'
              WHEN k.keputusan IS NOT NULL AND k.keputusan <> m.keputusan
                THEN format('the SPTJM was %%s already (file %%s): a decision is final', k.keputusan, k.berkas)
         END AS aturan
  FROM m LEFT JOIN kuota.sptjm k ON k.sptjm_no = m.sptjm_no AND k.periode = %(periode)s
)
SELECT baris, sptjm_no, npsn, aturan, count(*) OVER () AS jumlah
FROM salah WHERE aturan IS NOT NULL
ORDER BY baris LIMIT 5
