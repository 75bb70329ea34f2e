-- Step: a provider overwrote an answer already loaded with other bytes (exchange.md §2): the
-- new bytes are quarantined (recorded by the caller) and the first answer stands; the
-- provider's anomaly is recorded once per new answer (line 0: the whole file).
-- Params: batch_id, sha256 (of the new bytes).
INSERT INTO kuota.anomali_provider (batch_id, sha256, baris, request_id, jenis)
VALUES (%(batch_id)s, %(sha256)s, 0, NULL, 'jawaban_berubah')
ON CONFLICT DO NOTHING
