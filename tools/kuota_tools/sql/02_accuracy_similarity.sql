-- Benchmark only: the similarity index against the planted pairs (temp table label), pair by
-- pair, at each threshold of a sweep, from the scores kept in kuota.kemiripan. Also counts the
-- planted twin pairs that would be flagged (the twin rule should keep that at zero).
-- Params: periode, thresholds (array).
WITH planted AS (
    SELECT DISTINCT least(id, partner) AS id_a, greatest(id, partner) AS id_b, label
    FROM label WHERE label IN ('kemungkinan_orang_sama', 'kembar')
), pairs AS (
    SELECT k.skor, k.kembar, p.label
    FROM kuota.kemiripan k
    LEFT JOIN planted p ON p.id_a = k.id_a AND p.id_b = k.id_b
    WHERE k.periode = %(periode)s
)
SELECT t AS threshold,
       (SELECT count(*) FROM planted WHERE label = 'kemungkinan_orang_sama') AS labelled,
       count(*) FILTER (WHERE skor >= t AND NOT kembar) AS flagged,
       count(*) FILTER (WHERE skor >= t AND NOT kembar AND label = 'kemungkinan_orang_sama') AS correct,
       count(*) FILTER (WHERE skor >= t AND NOT kembar AND label = 'kembar') AS twins_flagged
FROM unnest(%(thresholds)s::real[]) AS t LEFT JOIN pairs ON true
GROUP BY t ORDER BY t;
