-- Step: the residu by reason of one scope across every period and stage refreshed so far,
-- oldest first (tahap 0 is the monthly run's screening). Params: tingkat, kode.
SELECT r.periode, r.tahap, r.alasan, sum(r.jumlah)::bigint
FROM cockpit.residu r
WHERE r.tingkat = %(tingkat)s AND r.kode = %(kode)s
GROUP BY r.periode, r.tahap, r.alasan
ORDER BY r.periode, r.tahap, r.alasan;
