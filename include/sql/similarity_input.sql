-- Benchmark only: the pupils that reached the similarity index in a period (they passed K1 and
-- the earlier K2 reasons), with the fields it compares, for the Splink reference run.
-- Params: periode, reasons (the precedence, as an array).
SELECT p.id, lower(regexp_replace(btrim(d.nama), '\s+', ' ', 'g')) AS nama,
       lower(regexp_replace(btrim(d.nama_ibu_kandung), '\s+', ' ', 'g')) AS nama_ibu,
       d.tanggal_lahir, p.kode_provinsi, p.kode_kabupaten
FROM kuota.penerima p
JOIN kuota.periode o ON o.periode = p.periode
JOIN snapshot.peserta_didik d ON d.cutoff_id = o.cutoff_id AND d.peserta_didik_id = p.id
WHERE p.periode = %(periode)s AND p.jenis = 'pd' AND d.tanggal_lahir IS NOT NULL
  AND (p.alasan IS NULL OR array_position(%(reasons)s::text[], p.alasan)
                           >= array_position(%(reasons)s::text[], 'kemungkinan_orang_sama'))
