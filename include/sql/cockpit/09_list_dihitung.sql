-- Step: the stages of a period the cockpit has figures for, with the step that last refreshed
-- each and when. Params: periode.
SELECT tahap, langkah, at
FROM cockpit.dihitung
WHERE periode = %(periode)s
ORDER BY tahap;
