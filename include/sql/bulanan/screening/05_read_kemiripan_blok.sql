-- Step: the similarity index's block sizes of a period (kuota.kemiripan_blok, written by
-- bulanan/screening/kemiripan/), for screening's result: blocks split, and any still over the cap.
-- Params: periode. One row, or none before screening.
SELECT * FROM kuota.kemiripan_blok WHERE periode = %(periode)s
