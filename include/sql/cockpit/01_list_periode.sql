-- Step: the periods the cockpit can show, newest first, with whether each is closed.
-- Params: none.
SELECT periode, ditutup_at IS NOT NULL AS ditutup
FROM kuota.periode
ORDER BY periode DESC;
