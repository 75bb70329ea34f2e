-- Step: the money of one period's stage for the cockpit, as tahap/ekspor/04_count_bast.sql
-- counts it, replacing what the stage had. Runs in the refresh's transaction, after
-- 04_refresh_rekap.sql took the period's lock. Params: periode, tahap, rows (a JSON array of
-- the BAST rows).
DELETE FROM cockpit.bast WHERE periode = %(periode)s AND tahap = %(tahap)s;
INSERT INTO cockpit.bast
SELECT %(periode)s, %(tahap)s, r.provider, r.paket_gb, r.diminta, r.berhasil, r.gb_berhasil, r.gagal,
       r.tanpa_respons, r.menunggu, r.anomali
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(provider text, paket_gb int, diminta bigint, berhasil bigint,
     gb_berhasil bigint, gagal bigint, tanpa_respons bigint, menunggu bigint, anomali bigint);
INSERT INTO cockpit.dihitung (periode, tahap, langkah, at)
VALUES (%(periode)s, %(tahap)s, %(langkah)s, now())
ON CONFLICT (periode, tahap) DO UPDATE SET langkah = EXCLUDED.langkah, at = EXCLUDED.at;
