-- Step: rows each snapshot table must hold = manifest rows - rows reported format_tidak_valid.
-- Params: cutoff_id.
SELECT f.key AS tabel,
       (f.value ->> 'rows')::bigint
         - (SELECT count(*) FROM snapshot.format_tidak_valid v
            WHERE v.cutoff_id = c.cutoff_id AND v.tabel = f.key) AS expected_rows
FROM snapshot.cutoff c, jsonb_each(c.manifest) f
WHERE c.cutoff_id = %(cutoff_id)s
ORDER BY 1;
