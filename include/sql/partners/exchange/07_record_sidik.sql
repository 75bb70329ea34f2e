-- Step: the loaded answer's object was rewritten with the same bytes (same sha256): remember
-- its new fingerprint, so the next stage run does not hash it again. Params: batch_id, sidik.
UPDATE kuota.jawaban SET sidik = %(sidik)s
WHERE batch_id = %(batch_id)s AND hasil = 'dimuat' AND sidik IS DISTINCT FROM %(sidik)s
