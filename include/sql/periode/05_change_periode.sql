-- Step: a change of a period's lifecycle, with its history row, in one statement: close it
-- (aksi ditutup), reopen it (dibuka_kembali), or change its deadline (batas_diubah). Only from
-- the state each change needs: closing and changing the deadline need an open period,
-- reopening a closed one; closing also needs the deadline passed and no request open.
-- Params: periode, aksi, batas_jawaban (NULL: unchanged), alasan, oleh.
-- Returns the period's deadline and closing time after the change; no row if refused.
WITH ubah AS (
    UPDATE kuota.periode p
    SET ditutup_at = CASE %(aksi)s WHEN 'ditutup' THEN clock_timestamp()
                                   WHEN 'dibuka_kembali' THEN NULL ELSE p.ditutup_at END,
        ditutup_alasan = CASE %(aksi)s WHEN 'ditutup' THEN %(alasan)s
                                       WHEN 'dibuka_kembali' THEN NULL ELSE p.ditutup_alasan END,
        batas_jawaban = coalesce(%(batas_jawaban)s::timestamptz, p.batas_jawaban)
    WHERE p.periode = %(periode)s
      AND CASE %(aksi)s
            WHEN 'ditutup' THEN p.ditutup_at IS NULL AND p.batas_jawaban <= now()
                 AND NOT EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.periode = p.periode AND r.hasil IS NULL)
            WHEN 'dibuka_kembali' THEN p.ditutup_at IS NOT NULL
            WHEN 'batas_diubah' THEN p.ditutup_at IS NULL
          END
    RETURNING p.periode, p.batas_jawaban, p.ditutup_at
), catat AS (
    INSERT INTO kuota.periode_riwayat (periode, aksi, batas_jawaban, alasan, oleh)
    SELECT periode, %(aksi)s, batas_jawaban, %(alasan)s, %(oleh)s FROM ubah
)
SELECT to_char(batas_jawaban AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       to_char(ditutup_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
FROM ubah;
