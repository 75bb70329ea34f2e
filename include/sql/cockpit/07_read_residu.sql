-- Step: the cockpit's residu by reason for one scope at one stage, and for each of its
-- children (which reasons hold people back, and where). Params: periode, tahap, tingkat, kode,
-- anak.
SELECT r.tingkat, r.kode, r.alasan, r.jumlah
FROM cockpit.residu r
WHERE r.periode = %(periode)s AND r.tahap = %(tahap)s
  AND ((r.tingkat = %(tingkat)s AND r.kode = %(kode)s) OR (r.tingkat = %(anak)s AND r.induk = %(kode)s))
ORDER BY r.tingkat, r.kode, r.jumlah DESC, r.alasan;
