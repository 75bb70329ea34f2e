-- Step: where a period stands: its deadline and stage calendar, whether it is closed (when,
-- why), its stages so far, its requests still open, and its records still waiting short of a
-- request (never sent, valid without an SPTJM, on an undecided SPTJM, approved and not yet
-- injected; and, while its cutoff is not screened, every record of the cutoff: screening
-- writes the period's records in one transaction, so one row of kuota.penerima means all):
-- what a closing step must account for. Params: periode.
-- Returns no row for a period never opened.
SELECT p.periode,
       to_char(p.batas_jawaban AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       p.hari_tahap,
       to_char(p.ditutup_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       p.ditutup_alasan,
       (SELECT coalesce(max(t.tahap), 0) FROM kuota.tahap t WHERE t.periode = p.periode),
       (SELECT count(*) FROM kuota.permintaan r WHERE r.periode = p.periode AND r.hasil IS NULL),
       w.siap_validasi, w.valid, w.sptjm_dicetak, w.sptjm_disetujui,
       CASE WHEN EXISTS (SELECT 1 FROM kuota.penerima r WHERE r.periode = p.periode) THEN 0
            ELSE (SELECT coalesce(sum(f.manifest_rows), 0)::bigint FROM snapshot.cutoff_file f
                  WHERE f.cutoff_id = p.cutoff_id AND f.tabel IN ('peserta_didik', 'ptk')) END,
       p.batas_jawaban <= now()
FROM kuota.periode p
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status = 'siap_validasi') AS siap_validasi,
           count(*) FILTER (WHERE status = 'valid') AS valid,
           count(*) FILTER (WHERE status = 'sptjm_dicetak') AS sptjm_dicetak,
           count(*) FILTER (WHERE status = 'sptjm_disetujui') AS sptjm_disetujui
    FROM kuota.penerima r
    WHERE r.periode = p.periode AND r.status IN ('siap_validasi', 'valid', 'sptjm_dicetak', 'sptjm_disetujui')
) w
WHERE p.periode = %(periode)s;
