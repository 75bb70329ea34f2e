-- Step: normalize every typed number of a cutoff (kuota.msisdn) into kuota.nomor_cutoff.
-- Set-based, once per cutoff: a re-run finds the cutoff's partition attached and inserts nothing.
-- Params: cutoff_id, bagian (the cutoff's partition, its name as SQL, from kuota.nomor_bagian).
-- Returns the counts (rows, kosong, valid mobile).
-- Into the cutoff's own table, with no index, in the order the snapshot is read; attaching it
-- builds the primary key in one sorted pass over the keys alone. The insert in key order sorted
-- every row instead, which at 47 million numbers spilled and took half the step (migration
-- 0015_nomor_per_cutoff.sql, docs/benchmarks.md).
INSERT INTO %(bagian)s (cutoff_id, jenis, id, kosong, msisdn)
SELECT %(cutoff_id)s, 'pd', peserta_didik_id, nomor_hp ~ '^\s*$', kuota.msisdn(nomor_hp)
FROM snapshot.peserta_didik
WHERE cutoff_id = %(cutoff_id)s AND NOT kuota.nomor_terpasang(%(cutoff_id)s)
UNION ALL
SELECT %(cutoff_id)s, 'ptk', ptk_id, nomor_hp ~ '^\s*$', kuota.msisdn(nomor_hp)
FROM snapshot.ptk
WHERE cutoff_id = %(cutoff_id)s AND NOT kuota.nomor_terpasang(%(cutoff_id)s);

SELECT kuota.nomor_pasang(%(cutoff_id)s);
ANALYZE %(bagian)s;  -- screening joins it next, before any autovacuum has seen it

SELECT count(*), count(*) FILTER (WHERE kosong), count(msisdn)
FROM kuota.nomor_cutoff WHERE cutoff_id = %(cutoff_id)s;
