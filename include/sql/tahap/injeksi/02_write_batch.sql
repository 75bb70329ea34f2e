-- Step: the rows of one outbound injection batch, as sent (exchange.md §2): one row per
-- recipient package, from kuota.permintaan, which holds nothing but what may leave, in
-- request_id order: a re-send is byte-identical. Params: batch_id.
SELECT r.request_id, r.msisdn, r.paket_gb
FROM kuota.permintaan r
WHERE r.batch_id = %(batch_id)s
ORDER BY r.request_id
