-- Step: the provinces of the period's cutoff schools, one mapped residu task each (a school
-- whose residu is all resolved still gets its empty file from its province's task).
-- Params: periode.
SELECT DISTINCT s.kode_provinsi::text
FROM kuota.periode p JOIN snapshot.sekolah s ON s.cutoff_id = p.cutoff_id
WHERE p.periode = %(periode)s
ORDER BY 1;
