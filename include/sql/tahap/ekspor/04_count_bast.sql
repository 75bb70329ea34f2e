-- Step: the handover report (BAST) of each provider (domain.md flow 11): what it is paid for,
-- successful injections by package size, and what it is not paid for (failed, unanswered,
-- still pending, anomalies reported). From the ledger: one row per provider and package size.
-- Params: periode.
SELECT i.provider, i.paket_gb,
       count(*) AS diminta,
       count(*) FILTER (WHERE r.hasil = 'berhasil') AS berhasil,
       coalesce(sum(i.paket_gb) FILTER (WHERE r.hasil = 'berhasil'), 0) AS gb_berhasil,
       count(*) FILTER (WHERE r.hasil = 'gagal') AS gagal,
       count(*) FILTER (WHERE r.hasil = 'tanpa_respons') AS tanpa_respons,
       count(*) FILTER (WHERE r.hasil IS NULL) AS menunggu,
       (SELECT count(*) FROM kuota.anomali_provider a JOIN kuota.batch b USING (batch_id)
        WHERE b.periode = %(periode)s AND b.provider = i.provider) AS anomali
FROM kuota.injeksi i JOIN kuota.permintaan r USING (request_id)
WHERE i.periode = %(periode)s
GROUP BY i.provider, i.paket_gb
ORDER BY i.provider, i.paket_gb
