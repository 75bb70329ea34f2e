-- Step: a batch's bytes are fixed by its first send: the sha256 is recorded once, and a later
-- send whose bytes would differ is refused by the caller. Params: batch_id, sha256.
UPDATE kuota.batch SET sha256 = %(sha256)s WHERE batch_id = %(batch_id)s AND sha256 IS NULL
