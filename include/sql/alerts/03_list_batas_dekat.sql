-- Step: the open periods whose deadline for answers comes within the threshold while provider
-- requests are still open, with the open requests per provider and kind. Once per period and
-- deadline: a deadline moved later is a new warning when it nears in turn.
-- Params: sekarang (timestamptz), jam (hours before the deadline).
WITH dekat AS (
    SELECT periode, batas_jawaban,
           'batas_dekat:' || periode || ':' || to_char(batas_jawaban AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
               AS kunci
    FROM kuota.periode
    WHERE ditutup_at IS NULL
      AND batas_jawaban > %(sekarang)s::timestamptz
      AND batas_jawaban <= %(sekarang)s::timestamptz + %(jam)s::float8 * interval '1 hour'
)
SELECT d.kunci, d.periode, d.batas_jawaban, b.provider, b.jenis, count(*) AS terbuka
FROM dekat d
JOIN kuota.batch b ON b.periode = d.periode
JOIN kuota.permintaan r ON r.batch_id = b.batch_id AND r.hasil IS NULL
WHERE NOT EXISTS (SELECT 1 FROM kuota.peringatan a WHERE a.kunci = d.kunci)
GROUP BY d.kunci, d.periode, d.batas_jawaban, b.provider, b.jenis
ORDER BY d.periode, b.provider, b.jenis;
