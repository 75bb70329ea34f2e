-- Step: residu counts of a period per reason, for each province, district and school
-- (the portal's dashboard; one file, portal/<periode>/rekap_residu.csv). Params: periode.
SELECT CASE WHEN GROUPING(kode_provinsi) = 0 THEN 'provinsi'
            WHEN GROUPING(kode_kabupaten) = 0 THEN 'kabupaten' ELSE 'sekolah' END AS tingkat,
       coalesce(kode_provinsi, kode_kabupaten, npsn) AS kode,
       alasan, count(*) AS jumlah
FROM kuota.penerima
WHERE periode = %(periode)s AND status = 'residu' AND npsn IS NOT NULL
GROUP BY GROUPING SETS ((kode_provinsi, alasan), (kode_kabupaten, alasan), (npsn, alasan))
ORDER BY 1 DESC, 2, 3;
