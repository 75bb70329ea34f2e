-- Step: the period's batches of a kind, by provider (the contract's order) then sequence: the
-- keys the DAG maps its per-batch tasks over, stable from run to run; with whether each
-- answer is loaded and whether requests are still open (a stage run maps only those).
-- Params: periode, jenis, providers.
-- Each EXISTS by its index (permintaan_terbuka, jawaban_dimuat_sekali): right after a plan the
-- statistics say every request is open, and the planner would scan kuota.permintaan from its
-- start once per batch instead (SET LOCAL: for this transaction, which this statement ends).
SET LOCAL enable_seqscan = off;

SELECT b.batch_id, b.provider, b.baris,
       EXISTS (SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat') AS dimuat,
       EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil IS NULL) AS terbuka
FROM kuota.batch b
WHERE b.periode = %(periode)s AND b.jenis = %(jenis)s
ORDER BY array_position(%(providers)s, b.provider), b.urutan
