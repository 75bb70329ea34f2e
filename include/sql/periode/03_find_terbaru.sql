-- Step: the period a scheduled stage run is for, when it does not name one: an earlier period
-- still open whose deadline had passed by the run's moment (its closing run is owed: the
-- oldest first), else the latest period opened for the run's month or before it (a run on the
-- 1st, before the new month's cutoff, is the previous period's closing run). A period whose
-- deadline was moved into the next month is thus closed by the first run after it, not left
-- open for ever once the next period opens. Params: bulan (YYYY-MM), saat (the run's moment).
SELECT periode FROM kuota.periode
WHERE periode <= %(bulan)s
ORDER BY (ditutup_at IS NULL AND batas_jawaban <= %(saat)s) DESC,
         CASE WHEN ditutup_at IS NULL AND batas_jawaban <= %(saat)s THEN periode END ASC,
         periode DESC
LIMIT 1;
