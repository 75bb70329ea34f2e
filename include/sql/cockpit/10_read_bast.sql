-- Step: the money of a period at one stage for the cockpit, per provider and package, as the
-- refresh recorded it (cockpit.bast). Params: periode, tahap.
SELECT provider, paket_gb, diminta, berhasil, gb_berhasil, gagal, tanpa_respons, menunggu, anomali
FROM cockpit.bast
WHERE periode = %(periode)s AND tahap = %(tahap)s
ORDER BY provider, paket_gb;
