-- Step: the rows of one outbound validation batch, as sent (exchange.md §2). Built from kuota.permintaan,
-- which holds nothing but what may leave, in request_id order: a re-send is byte-identical.
-- Params: batch_id.
SELECT r.request_id, r.msisdn
FROM kuota.permintaan r
WHERE r.batch_id = %(batch_id)s
ORDER BY r.request_id
