-- Step: the period export's rekap (exchange.md §4): the export's rows counted by province,
-- school, provider, state and reason. Params: periode.
SELECT kode_provinsi, npsn, provider, status, alasan, count(*) AS jumlah
FROM kuota.penerima
WHERE periode = %(periode)s
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
