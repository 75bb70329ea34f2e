-- Benchmark only: precision and recall of each screening reason against the generator's
-- ground-truth labels (temp table label, loaded by kuota_tools.accuracy). A record's expected outcome
-- is its first labelled reason in the precedence of domain.md; a record labelled with none is
-- expected in siap_validasi (kembar and saudara are look-alikes, not reasons).
-- Params: periode, reasons (the precedence, as an array).
WITH expected AS (
    SELECT jenis, id, (array_agg(label ORDER BY array_position(%(reasons)s::text[], label)))[1] AS alasan
    FROM label WHERE label = ANY (%(reasons)s::text[])
    GROUP BY jenis, id
), outcome AS (
    -- a labelled id the period does not hold (an unreadable format row) counts as missed
    SELECT CASE WHEN p.id IS NULL THEN 'tidak_ada' ELSE coalesce(p.alasan, 'siap_validasi') END AS got,
           coalesce(e.alasan, 'siap_validasi') AS want
    FROM (SELECT jenis, id, alasan FROM kuota.penerima WHERE periode = %(periode)s) p
    FULL JOIN expected e ON e.jenis = p.jenis AND e.id = p.id
)
SELECT reason, count(*) FILTER (WHERE want = reason) AS labelled,
       count(*) FILTER (WHERE got = reason) AS flagged,
       count(*) FILTER (WHERE got = reason AND want = reason) AS correct
FROM outcome CROSS JOIN unnest(%(reasons)s::text[] || ARRAY['siap_validasi']) AS reason
GROUP BY reason
HAVING count(*) FILTER (WHERE want = reason OR got = reason) > 0
ORDER BY array_position(%(reasons)s::text[] || ARRAY['siap_validasi'], reason);
