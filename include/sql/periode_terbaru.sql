-- Step: the period a scheduled stage run is for, when it does not name one: the latest period
-- opened for the run's month or before it (a run on the 1st, before the new month's cutoff,
-- is the previous period's closing run). Params: bulan (YYYY-MM).
SELECT periode FROM kuota.periode WHERE periode <= %(bulan)s ORDER BY periode DESC LIMIT 1;
