-- Step: normalize every typed number of a cutoff (kuota.msisdn) into kuota.nomor_cutoff.
-- Set-based, once per cutoff: a re-run finds the cutoff done and inserts nothing.
-- Params: cutoff_id.  Returns the counts (rows, kosong, valid mobile).
INSERT INTO kuota.nomor_cutoff (cutoff_id, jenis, id, kosong, msisdn)
SELECT %(cutoff_id)s, 'pd', peserta_didik_id, nomor_hp ~ '^\s*$', kuota.msisdn(nomor_hp)
FROM snapshot.peserta_didik
WHERE cutoff_id = %(cutoff_id)s
  AND NOT EXISTS (SELECT 1 FROM kuota.nomor_cutoff WHERE cutoff_id = %(cutoff_id)s AND jenis = 'pd')
UNION ALL
SELECT %(cutoff_id)s, 'ptk', ptk_id, nomor_hp ~ '^\s*$', kuota.msisdn(nomor_hp)
FROM snapshot.ptk
WHERE cutoff_id = %(cutoff_id)s
  AND NOT EXISTS (SELECT 1 FROM kuota.nomor_cutoff WHERE cutoff_id = %(cutoff_id)s AND jenis = 'ptk');

SELECT count(*), count(*) FILTER (WHERE kosong), count(msisdn)
FROM kuota.nomor_cutoff WHERE cutoff_id = %(cutoff_id)s;
