-- Step: the policy values a period runs with. The first call records the values in force on
-- the period's first day (kuota.kebijakan); every later call returns what was recorded, so a
-- re-run or backfill screens with the same values even if the table changed since.
-- Params: periode.  Returns one row: the values (jsonb).
INSERT INTO kuota.periode_kebijakan (periode, nilai)
SELECT %(periode)s, jsonb_object_agg(nama, nilai)
FROM (
    SELECT DISTINCT ON (nama) nama, nilai
    FROM kuota.kebijakan
    WHERE berlaku_mulai <= to_date(%(periode)s || '-01', 'YYYY-MM-DD')
    ORDER BY nama, berlaku_mulai DESC
) in_force
ON CONFLICT (periode) DO NOTHING;

SELECT nilai FROM kuota.periode_kebijakan WHERE periode = %(periode)s;
