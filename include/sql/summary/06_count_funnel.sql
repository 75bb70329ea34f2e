-- Step: the period's funnel for the run summary, per province, per provider and in total:
-- cutoff records, screened (passed the screening lines), valid (a provider said active),
-- on an approved SPTJM, injected (berhasil), and GB injected. A record counts at every step it
-- reached, whatever happened after (a failed injection was valid and approved). Params: periode.
WITH r AS (
  SELECT p.kode_provinsi, p.provider, p.status, p.alasan, p.paket_gb,
         EXISTS (SELECT 1 FROM kuota.injeksi i WHERE i.periode = p.periode AND i.jenis = p.jenis AND i.id = p.id) AS diinjeksi,
         EXISTS (SELECT 1 FROM kuota.sptjm_penerima s WHERE s.periode = p.periode AND s.jenis = p.jenis AND s.id = p.id) AS di_sptjm
  FROM kuota.penerima p WHERE p.periode = %(periode)s
)
SELECT CASE WHEN grouping(kode_provinsi) = 0 THEN 'provinsi' WHEN grouping(provider) = 0 THEN 'provider' ELSE 'total' END,
       coalesce(CASE WHEN grouping(kode_provinsi) = 0 THEN kode_provinsi ELSE provider END, '-'),
       count(*) AS cutoff,
       count(*) FILTER (WHERE status <> 'residu' OR alasan = ANY (%(later)s)) AS screened,
       count(*) FILTER (WHERE status IN ('valid', 'sptjm_dicetak', 'sptjm_disetujui', 'dikirim_injeksi', 'berhasil')
                          OR di_sptjm OR diinjeksi) AS valid,
       count(*) FILTER (WHERE status IN ('sptjm_disetujui', 'dikirim_injeksi', 'berhasil') OR diinjeksi) AS sptjm_disetujui,
       count(*) FILTER (WHERE status = 'berhasil') AS injected,
       coalesce(sum(paket_gb) FILTER (WHERE status = 'berhasil'), 0) AS gb
FROM r
GROUP BY GROUPING SETS ((kode_provinsi), (provider), ())
ORDER BY 1 DESC, 2
