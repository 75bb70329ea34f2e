-- Step: open a stage (tahap) of a period: recorded once, so a stage run repeated changes
-- nothing. A period is opened by its monthly run (cutoff and screening) before any stage.
-- Params: periode, tahap. Returns the period's stages so far.
INSERT INTO kuota.tahap (periode, tahap)
SELECT %(periode)s, %(tahap)s
WHERE EXISTS (SELECT 1 FROM kuota.periode WHERE periode = %(periode)s)
ON CONFLICT DO NOTHING;

SELECT tahap, to_char(dibuka_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
FROM kuota.tahap WHERE periode = %(periode)s ORDER BY tahap;
