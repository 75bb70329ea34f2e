-- Step: the cockpit's funnel of one scope at one stage: the scope's own rows (every provider,
-- then each) and its children's (the provinces of Indonesia, the districts of a province, the
-- schools of a district), with a school's name. Reads the aggregates only (cockpit.funnel).
-- Params: periode, tahap, tingkat, kode, anak (the children's level).
SELECT f.tingkat, f.kode, f.provider, sk.nama,
       f.cutoff, f.screened, f.valid, f.sptjm_disetujui, f.injected, f.gb
FROM cockpit.funnel f
JOIN kuota.periode p ON p.periode = f.periode
LEFT JOIN snapshot.sekolah sk ON f.tingkat = 'sekolah' AND sk.cutoff_id = p.cutoff_id AND sk.npsn = f.kode
WHERE f.periode = %(periode)s AND f.tahap = %(tahap)s
  AND ((f.tingkat = %(tingkat)s AND f.kode = %(kode)s)
       OR (f.tingkat = %(anak)s AND f.induk = %(kode)s AND f.provider = '*'));
