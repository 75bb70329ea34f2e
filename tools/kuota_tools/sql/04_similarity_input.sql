-- Benchmark only: the pupils that reached the similarity index in a period (they passed K1 and
-- the earlier K2 reasons), with the fields it compares, for the Splink reference run. Names
-- are folded as the index folds them (kuota.lipat_nama), so that both read the same names.
-- Params: periode, reasons (the precedence, as an array).
SELECT p.id, kuota.lipat_nama(d.nama) AS nama, kuota.lipat_nama(d.nama_ibu_kandung) AS nama_ibu,
       d.tanggal_lahir, p.kode_provinsi, p.kode_kabupaten
FROM kuota.penerima p
JOIN kuota.periode o ON o.periode = p.periode
JOIN snapshot.peserta_didik d ON d.cutoff_id = o.cutoff_id AND d.peserta_didik_id = p.id
WHERE p.periode = %(periode)s AND p.jenis = 'pd' AND d.tanggal_lahir IS NOT NULL
  AND (p.alasan IS NULL OR array_position(%(reasons)s::text[], p.alasan)
                           >= array_position(%(reasons)s::text[], 'kemungkinan_orang_sama'))
