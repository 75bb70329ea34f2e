-- Step: refresh the cockpit's funnel and residu of one period's stage (migration 0007) from the
-- recipients, as the step that calls it left them: one pass over the period's records into a
-- per-school table, then every level from that. The stage's rows are replaced in this one
-- transaction (two refreshes at once take turns), so a view never sees half of them.
-- The funnel's rules are the run summary's (summary/06_count_funnel.sql): a record counts at
-- every step it reached, whatever happened after. Params: periode, tahap, later.
SELECT pg_advisory_xact_lock(hashtext('cockpit ' || %(periode)s));
DELETE FROM cockpit.funnel WHERE periode = %(periode)s AND tahap = %(tahap)s;
DELETE FROM cockpit.residu WHERE periode = %(periode)s AND tahap = %(tahap)s;

CREATE TEMP TABLE rekap_sekolah ON COMMIT DROP AS
WITH s AS (SELECT DISTINCT jenis, id FROM kuota.sptjm_penerima WHERE periode = %(periode)s),
     i AS (SELECT jenis, id FROM kuota.injeksi WHERE periode = %(periode)s)
SELECT coalesce(p.kode_provinsi, '-') AS prov, coalesce(p.kode_kabupaten, '-') AS kab,
       coalesce(p.npsn, '-') AS npsn, coalesce(p.provider, '-') AS provider,
       count(*) AS cutoff,
       count(*) FILTER (WHERE p.status <> 'residu' OR p.alasan = ANY (%(later)s)) AS screened,
       count(*) FILTER (WHERE p.status IN ('valid', 'sptjm_dicetak', 'sptjm_disetujui', 'dikirim_injeksi', 'berhasil')
                          OR s.id IS NOT NULL OR i.id IS NOT NULL) AS valid,
       count(*) FILTER (WHERE p.status IN ('sptjm_disetujui', 'dikirim_injeksi', 'berhasil') OR i.id IS NOT NULL)
         AS sptjm_disetujui,
       count(*) FILTER (WHERE p.status = 'berhasil') AS injected,
       coalesce(sum(p.paket_gb) FILTER (WHERE p.status = 'berhasil'), 0) AS gb
FROM kuota.penerima p
LEFT JOIN s ON s.jenis = p.jenis AND s.id = p.id
LEFT JOIN i ON i.jenis = p.jenis AND i.id = p.id
WHERE p.periode = %(periode)s
GROUP BY 1, 2, 3, 4;

-- Every level at once; cockpit.level_of (migration 0009) names each row's level and parent.
INSERT INTO cockpit.funnel
SELECT %(periode)s, %(tahap)s, l.tingkat, l.kode, l.induk, g.provider,
       g.cutoff, g.screened, g.valid, g.sptjm_disetujui, g.injected, g.gb
FROM (SELECT grouping(prov, kab, npsn) AS bits, prov, kab, npsn,
             CASE WHEN grouping(provider) = 0 THEN provider ELSE '*' END AS provider,
             sum(cutoff) AS cutoff, sum(screened) AS screened, sum(valid) AS valid,
             sum(sptjm_disetujui) AS sptjm_disetujui, sum(injected) AS injected, sum(gb) AS gb
      FROM rekap_sekolah
      GROUP BY GROUPING SETS ((prov, kab, npsn), (prov, kab, provider), (prov, kab), (prov, provider), (prov),
                              (provider), ())
      HAVING count(*) > 0) g  -- a period without records yet has no rows, not a total of NULLs
CROSS JOIN LATERAL cockpit.level_of(g.bits, g.prov, g.kab, g.npsn) l;

INSERT INTO cockpit.residu
SELECT %(periode)s, %(tahap)s, l.tingkat, l.kode, l.induk, g.alasan, g.jumlah
FROM (SELECT grouping(prov, kab, npsn) AS bits, prov, kab, npsn, alasan, count(*) AS jumlah
      FROM (SELECT coalesce(kode_provinsi, '-') AS prov, coalesce(kode_kabupaten, '-') AS kab,
                   coalesce(npsn, '-') AS npsn, alasan
            FROM kuota.penerima WHERE periode = %(periode)s AND status = 'residu') r
      GROUP BY GROUPING SETS ((prov, kab, npsn, alasan), (prov, kab, alasan), (prov, alasan), (alasan))) g
CROSS JOIN LATERAL cockpit.level_of(g.bits, g.prov, g.kab, g.npsn) l;
