-- Step: the SPTJMs of a period for the cockpit, per province of the school: issued, approved,
-- rejected, awaiting a decision, and how long the oldest undecided has waited, in seconds.
-- Params: periode.
WITH s AS (
  SELECT DISTINCT ON (k.sptjm_no) k.sptjm_no, k.keputusan, k.dibuat_at, sk.kode_provinsi
  FROM kuota.sptjm k
  JOIN kuota.periode p ON p.periode = k.periode
  LEFT JOIN snapshot.sekolah sk ON sk.cutoff_id = p.cutoff_id AND sk.npsn = k.npsn
  WHERE k.periode = %(periode)s
  ORDER BY k.sptjm_no
)
SELECT coalesce(kode_provinsi, '-'),
       count(*) AS diterbitkan,
       count(*) FILTER (WHERE keputusan = 'disetujui') AS disetujui,
       count(*) FILTER (WHERE keputusan = 'ditolak') AS ditolak,
       count(*) FILTER (WHERE keputusan IS NULL) AS menunggu,
       coalesce(floor(extract(epoch FROM now() - min(dibuat_at) FILTER (WHERE keputusan IS NULL))), 0)::bigint
         AS umur_menunggu_tertua_detik
FROM s
GROUP BY 1
ORDER BY 1;
