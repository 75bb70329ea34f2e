-- Step 2 of screening (after screen_rekaman.sql, same transaction): the similarity index,
-- the last K2 reason. Writes every candidate pair with its score to kuota.kemiripan and adds
-- kemungkinan_orang_sama to the temp table k2. Params: periode, ambang_kemiripan.

-- Line 3, last K2 reason: one person under two NISNs (the similarity index). Pupils who passed
-- everything above are blocked on birth date and region, so the pairs stay near-linear:
-- same district and the same first or last three letters of the name (one slip leaves one of
-- them intact), or same province and the same mother's name. Each pair is scored on name,
-- mother's name and district; twins (same mother, names more than one slip apart) never match.
CREATE TEMP TABLE murid ON COMMIT DROP AS
SELECT r.id, r.tanggal_lahir, r.kode_provinsi, r.kode_kabupaten,
       r.nama_huruf AS nama, coalesce(r.ibu_huruf, '') AS ibu
FROM rekaman r
WHERE r.jenis = 'pd' AND r.alasan_k1 IS NULL AND r.tanggal_lahir IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM k2 WHERE k2.jenis = 'pd' AND k2.id = r.id);
ANALYZE murid;

-- The index: pupils sharing a block (birth date and one key). A block is a 64-bit hash (a
-- collision only adds a pair to score); most blocks hold one pupil, and one sort finds the rest.
CREATE TEMP TABLE blok ON COMMIT DROP AS
SELECT kunci, id, anggota
FROM (
    SELECT kunci, id, count(*) OVER (PARTITION BY kunci) AS anggota
    FROM (
        SELECT id, hashtextextended(tanggal_lahir || '|' || kode_kabupaten || '|a|' || left(nama, 3), 0) AS kunci
        FROM murid
        UNION ALL
        SELECT id, hashtextextended(tanggal_lahir || '|' || kode_kabupaten || '|z|' || right(nama, 3), 0)
        FROM murid
        UNION ALL
        SELECT id, hashtextextended(tanggal_lahir || '|' || kode_provinsi || '|i|' || ibu, 0)
        FROM murid WHERE ibu <> ''
    ) kunci
) blok
WHERE anggota > 1;

-- More than 50 pupils born the same day with one key is no evidence of anything but a
-- placeholder ("ibu", "xxx" as the mother's name): such blocks are skipped, and said so.
CREATE TEMP TABLE pasangan ON COMMIT DROP AS
SELECT DISTINCT x.id AS id_a, y.id AS id_b
FROM blok x JOIN blok y ON y.kunci = x.kunci AND x.id < y.id
WHERE x.anggota <= 50;
ANALYZE pasangan;
DO $$
DECLARE besar bigint; murid_besar bigint;
BEGIN
    SELECT count(DISTINCT kunci), count(DISTINCT id) INTO besar, murid_besar FROM blok WHERE anggota > 50;
    IF besar > 0 THEN
        RAISE NOTICE 'similarity index: %% blocks of more than 50 pupils skipped (%% pupils; a placeholder name?)',
                     besar, murid_besar;
    END IF;
END $$;

INSERT INTO kuota.kemiripan (periode, id_a, id_b, skor_nama, skor_ibu, sama_kabupaten, skor, kembar)
SELECT %(periode)s, a.id, b.id, s.nama, s.ibu, a.kode_kabupaten = b.kode_kabupaten,
       -- the mother's name squared: only a near-equal one is evidence of one child
       least(1, 0.5 * s.nama + 0.4 * s.ibu ^ 2 + 0.1 * (a.kode_kabupaten = b.kode_kabupaten)::int),
       a.ibu <> '' AND kuota.beda_satu_ketikan(a.ibu, b.ibu) AND NOT kuota.beda_satu_ketikan(a.nama, b.nama)
FROM pasangan p
JOIN murid a ON a.id = p.id_a
JOIN murid b ON b.id = p.id_b
CROSS JOIN LATERAL (SELECT kuota.kemiripan_teks(a.nama, b.nama) AS nama,
                           kuota.kemiripan_teks(a.ibu, b.ibu) AS ibu) s
ON CONFLICT DO NOTHING;

-- Both pupils of a pair at or above the threshold, each with its best-scoring partner.
INSERT INTO k2 (jenis, id, alasan, partner_id)
SELECT DISTINCT ON (id) 'pd', id, 'kemungkinan_orang_sama', partner_id
FROM (
    SELECT id_a AS id, id_b AS partner_id, skor FROM kuota.kemiripan
    WHERE periode = %(periode)s AND skor >= %(ambang_kemiripan)s AND NOT kembar
    UNION ALL
    SELECT id_b, id_a, skor FROM kuota.kemiripan
    WHERE periode = %(periode)s AND skor >= %(ambang_kemiripan)s AND NOT kembar
) m
ORDER BY id, skor DESC, partner_id;
ANALYZE k2;
