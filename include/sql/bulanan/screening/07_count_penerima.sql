-- Step: how many records of the period are screened (kuota.penerima). Screening writes them
-- all in one transaction, so any row means the period is screened: a re-run finds it done.
-- Params: periode.
SELECT count(*) FROM kuota.penerima WHERE periode = %(periode)s;
