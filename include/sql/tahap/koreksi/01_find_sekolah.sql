-- Step: the school a corrections file says submitted it (its manifest's npsn; exchange.md §3,
-- koreksi), looked up among the schools of the period's cutoff. A file whose npsn is not one of
-- them is quarantined whole: nothing in it can be bound to a school. One row: the cutoff's date
-- and whether the school is in it (no row: the period is not opened). Params: periode, npsn.
SELECT c.cutoff_date,
       EXISTS (SELECT 1 FROM snapshot.sekolah s WHERE s.cutoff_id = p.cutoff_id AND s.npsn = %(npsn)s) AS ada
FROM kuota.periode p
JOIN snapshot.cutoff c USING (cutoff_id)
WHERE p.periode = %(periode)s
