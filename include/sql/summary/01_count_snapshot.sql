-- Step: the cutoff part of the run summary.  Params: periode.
SELECT c.cutoff_date::text, c.cutoff_id, f.tabel, f.manifest_rows, f.loaded_rows, f.invalid_rows
FROM kuota.periode p
JOIN snapshot.cutoff c USING (cutoff_id)
JOIN snapshot.cutoff_file f USING (cutoff_id)
WHERE p.periode = %(periode)s
ORDER BY array_position(ARRAY['sekolah','peserta_didik','ptk'], f.tabel);
