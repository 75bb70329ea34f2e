-- Step: the export's created_at and whether the period is closed: its last change (so an
-- export of an unchanged period has the same bytes), and whether no request is still open
-- and the deadline close ran. Params: periode.
SELECT to_char(greatest(max(p.diubah_at), max(pr.opened_at)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       NOT EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.periode = %(periode)s AND r.hasil IS NULL)
FROM kuota.penerima p JOIN kuota.periode pr USING (periode)
WHERE p.periode = %(periode)s
