-- Step: the batches a provider has left unanswered for longer than the threshold, once each:
-- sent (its sha256 recorded), requests still open, no answer loaded, its period open, not
-- alerted yet. A quarantined answer is not silence (it has its own alert), but the batch stays
-- here until a good answer is loaded. Params: sekarang (timestamptz), jam (hours of silence).
SELECT 'provider_diam:' || b.batch_id AS kunci, b.periode, b.provider, b.jenis, b.batch_id, b.dibuat_at,
       count(*) AS terbuka
FROM kuota.batch b
JOIN kuota.periode p USING (periode)
JOIN kuota.permintaan r ON r.batch_id = b.batch_id AND r.hasil IS NULL
WHERE b.sha256 IS NOT NULL
  AND b.dibuat_at < %(sekarang)s::timestamptz - %(jam)s::float8 * interval '1 hour'
  AND p.ditutup_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat')
  AND NOT EXISTS (SELECT 1 FROM kuota.peringatan a WHERE a.kunci = 'provider_diam:' || b.batch_id)
GROUP BY b.batch_id
ORDER BY b.dibuat_at, b.batch_id;
