-- Step: when the period's states last changed: the created_at of its portal summaries, so a
-- re-run with nothing changed writes the same manifest. Params: periode.
SELECT coalesce(to_char(max(diubah_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'), '')
FROM kuota.penerima WHERE periode = %(periode)s;
