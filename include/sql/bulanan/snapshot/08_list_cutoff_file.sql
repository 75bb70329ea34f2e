-- Step: the tables of a cutoff already loaded, with their counts: a load finds its table done
-- (and skips it), a second export of the same cutoff date finds which tables its first one
-- brought in. Params: cutoff_id.
-- Returns per loaded table: tabel, manifest_rows, loaded_rows, invalid_rows, seconds.
SELECT tabel, manifest_rows, loaded_rows, invalid_rows, seconds::float
FROM snapshot.cutoff_file
WHERE cutoff_id = %(cutoff_id)s
ORDER BY tabel;
