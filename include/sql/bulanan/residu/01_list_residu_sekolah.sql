-- Step: the residu rows of a period for the schools' portal (exchange.md §3,
-- residu/<npsn>.csv), one school after another. Names and NISN go to the record's own
-- school only. Rows whose school is unknown (a malformed row naming no school of the cutoff)
-- come first, under npsn ''. Params: periode, provinsi: NULL, every row; a province code,
-- that province's schools; '', only the rows naming no school.
SELECT coalesce(p.npsn, '') AS npsn, p.jenis, p.id,
       coalesce(d.nisn, t.nuptk, '') AS nisn_or_nuptk,
       coalesce(d.nama, t.nama, '') AS nama,
       coalesce(d.nomor_hp, t.nomor_hp, '') AS nomor_hp,
       p.alasan, p.tahap,
       to_char(max(p.diubah_at) OVER (PARTITION BY coalesce(p.npsn, '')) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') AS diubah_at
FROM kuota.penerima p
JOIN kuota.periode pr ON pr.periode = p.periode
LEFT JOIN snapshot.peserta_didik d
       ON p.jenis = 'pd' AND d.cutoff_id = pr.cutoff_id AND d.peserta_didik_id = p.id
LEFT JOIN snapshot.ptk t
       ON p.jenis = 'ptk' AND t.cutoff_id = pr.cutoff_id AND t.ptk_id = p.id
WHERE p.periode = %(periode)s AND p.status = 'residu'
  AND CASE WHEN %(provinsi)s::text IS NULL THEN true
           WHEN %(provinsi)s = '' THEN p.npsn IS NULL
           ELSE p.npsn IS NOT NULL AND p.kode_provinsi = %(provinsi)s END
ORDER BY 1, p.jenis, p.id;
