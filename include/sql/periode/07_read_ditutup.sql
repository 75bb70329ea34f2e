-- Step: whether a period is opened and closed (when, why): all a step that only changes an
-- open period needs to know before it starts (01_read_keadaan counts the period's records
-- besides, a scan that grows with the period). Params: periode. No row: never opened.
SELECT p.periode,
       to_char(p.ditutup_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       p.ditutup_alasan
FROM kuota.periode p
WHERE p.periode = %(periode)s;
