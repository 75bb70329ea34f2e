-- Step: open a period: bind it to its cutoff, with its deadline for answers and its stage
-- calendar (days of the month), once; the opening goes into the period's history.
-- Params: periode, cutoff_id, batas_jawaban, hari_tahap, oleh.
-- Returns the period as stored: the caller refuses a period already bound to another cutoff.
WITH dibuka AS (
    INSERT INTO kuota.periode (periode, cutoff_id, batas_jawaban, hari_tahap)
    VALUES (%(periode)s, %(cutoff_id)s, %(batas_jawaban)s, %(hari_tahap)s)
    ON CONFLICT (periode) DO NOTHING
    RETURNING periode, batas_jawaban
)
INSERT INTO kuota.periode_riwayat (periode, aksi, batas_jawaban, oleh)
SELECT periode, 'dibuka', batas_jawaban, %(oleh)s FROM dibuka;

SELECT cutoff_id FROM kuota.periode WHERE periode = %(periode)s;
