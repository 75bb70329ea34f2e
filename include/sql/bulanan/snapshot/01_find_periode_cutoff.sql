-- Step: the cutoff a period already runs on, if any, looked up before a load starts, so an
-- export for a period bound to another cutoff is refused before any of it is loaded.
-- Params: periode.  Returns at most one row: cutoff_id, cutoff_date, content_sha256.
SELECT c.cutoff_id, c.cutoff_date::text, c.content_sha256
FROM kuota.periode p
JOIN snapshot.cutoff c USING (cutoff_id)
WHERE p.periode = %(periode)s;
