-- Step: the period's SPTJMs for the run summary: issued, approved, rejected, awaiting a
-- decision; and the corrections refused (reported to the schools). Params: periode.
SELECT count(*), count(*) FILTER (WHERE keputusan = 'disetujui'), count(*) FILTER (WHERE keputusan = 'ditolak'),
       count(*) FILTER (WHERE keputusan IS NULL),
       (SELECT count(*) FROM kuota.koreksi WHERE periode = %(periode)s AND hasil = 'ditolak')
FROM kuota.sptjm WHERE periode = %(periode)s
