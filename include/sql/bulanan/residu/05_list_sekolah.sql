-- Step: the NPSN of one province's schools in the period's cutoff: the files in place its
-- residu task may empty (a recipient's school is always one of its cutoff's). Params: periode,
-- provinsi.
SELECT s.npsn::text
FROM kuota.periode p JOIN snapshot.sekolah s ON s.cutoff_id = p.cutoff_id
WHERE p.periode = %(periode)s AND s.kode_provinsi = %(provinsi)s;
