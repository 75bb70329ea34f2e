-- Step: the provinces whose SPTJM files are written apart (one mapped task each): those of the
-- cutoff's schools, never none, so a stage with nothing to write still runs its tasks; and ''
-- when an SPTJM of the period names a school the cutoff does not hold, so that its files have
-- a task too (02_list_sptjm_isi, provinsi ''). Params: periode.
WITH pr AS (
  SELECT cutoff_id FROM kuota.periode WHERE periode = %(periode)s
)
SELECT DISTINCT s.kode_provinsi::text
FROM snapshot.sekolah s
WHERE s.cutoff_id = (SELECT cutoff_id FROM pr)
UNION
SELECT ''
WHERE EXISTS (
  SELECT FROM kuota.sptjm k
  WHERE k.periode = %(periode)s
    AND NOT EXISTS (SELECT FROM snapshot.sekolah s WHERE s.cutoff_id = (SELECT cutoff_id FROM pr) AND s.npsn = k.npsn)
)
ORDER BY 1;
