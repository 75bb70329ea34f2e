-- Step: the rows of a school's corrections file (temp table berkas_masuk, baris = line in the
-- file; exchange.md §3, koreksi) that break the contract: an unknown jenis, an id that is not
-- a uuid or not a record of the period, an unknown ownership, a bad time. (A correction the
-- rules refuse, e.g. of a locked record, is not a broken file: it is recorded as refused.)
-- The first five, with how many there are. Params: periode.
WITH salah AS (
  SELECT m.baris, m.jenis, m.id,
         CASE WHEN m.jenis IS NULL OR m.jenis NOT IN ('pd', 'ptk') THEN 'jenis is not pd or ptk'
              WHEN NOT snapshot.is_uuid(coalesce(m.id, '')) THEN 'id is not a uuid'
              WHEN NOT EXISTS (SELECT 1 FROM kuota.penerima p
                               WHERE p.periode = %(periode)s AND p.jenis = m.jenis AND p.id = m.id::uuid)
                THEN 'no record of this jenis and id in the period'
              WHEN coalesce(m.kepemilikan_hp, '') NOT IN ('', 'sendiri', 'orang_tua', 'wali', 'saudara', 'lainnya')
                THEN 'kepemilikan_hp is not sendiri, orang_tua, wali, saudara, lainnya or empty'
              WHEN NOT kuota.is_waktu(coalesce(m.waktu_koreksi, ''))
                THEN 'waktu_koreksi is not an ISO 8601 timestamp with offset'
         END AS aturan
  FROM berkas_masuk m
)
SELECT baris, jenis, id, aturan, count(*) OVER () AS jumlah
FROM salah WHERE aturan IS NOT NULL
ORDER BY baris LIMIT 5
