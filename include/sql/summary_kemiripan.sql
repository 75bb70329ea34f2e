-- The similarity index of a period in one line of the run summary: candidate pairs scored,
-- pairs flagged (at or above the period's threshold, not twins), twin pairs ruled out.
-- Params: periode.
SELECT count(*) AS scored,
       count(*) FILTER (WHERE k.skor >= (v.nilai ->> 'ambang_kemiripan')::real AND NOT k.kembar) AS flagged,
       count(*) FILTER (WHERE k.kembar) AS twins,
       min(v.nilai ->> 'ambang_kemiripan') AS threshold
FROM kuota.kemiripan k
JOIN kuota.periode_kebijakan v ON v.periode = k.periode
WHERE k.periode = %(periode)s;
