-- Step: the first rows of a cutoff refused by the type rules (format_tidak_valid), by table and
-- line, with the rule each broke: what the run summary and the demo show. No personal data.
-- Params: cutoff_id, limit.
SELECT tabel, baris, pelanggaran
FROM snapshot.format_tidak_valid
WHERE cutoff_id = %(cutoff_id)s
ORDER BY tabel, baris
LIMIT %(limit)s;
