-- The screening funnel of a period: records per state and reason, by jenis; eligible
-- first, then the reasons in their precedence order (domain.md).
-- Params: periode, reasons (the precedence, as an array).
SELECT status, coalesce(alasan, '') AS alasan,
       count(*) FILTER (WHERE jenis = 'pd') AS pd, count(*) FILTER (WHERE jenis = 'ptk') AS ptk
FROM kuota.penerima WHERE periode = %(periode)s
GROUP BY status, alasan
ORDER BY status = 'residu', array_position(%(reasons)s::text[], alasan), alasan;
