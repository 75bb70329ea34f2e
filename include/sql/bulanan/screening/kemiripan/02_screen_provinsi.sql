-- Step 2 of screening, the similarity index (2 of 3, after kemiripan/01_prepare_profil.sql, same
-- transaction), for one province: its profiles blocked, compared and scored into
-- kuota.kemiripan, and its block sizes into blok_provinsi. Every block key holds the district
-- or the province, so a province's pupils meet no one outside it.
-- Params: periode, kode_provinsi.

-- What the previous province left (truncated in place: its space returns now).
TRUNCATE profil, salinan_profil, blok, calon, subblok, urutan, pasangan;

-- The province's pupils are read from their own pages of murid (in province order, BRIN): not
-- the whole table once per province, whatever the planner guesses of a large province.
SET LOCAL enable_seqscan = off;
-- Each profile with its letters and the seeds of its block keys (a hash of birth date and
-- district, and of birth date and province: hashed once here, not once per key).
INSERT INTO profil
SELECT *, kuota.nama_rapat(nama) AS rapat, kuota.nama_rapat(ibu) AS ibu_rapat,
       hashtextextended(kode_kabupaten, tanggal_lahir - date '2000-01-01') AS di_kabupaten,
       hashtextextended(kode_provinsi, tanggal_lahir - date '2000-01-01') AS di_provinsi
FROM murid WHERE kode_provinsi = %(kode_provinsi)s AND id = wakil;
INSERT INTO salinan_profil  -- each copy of a profile, with its representative
SELECT wakil, id FROM murid WHERE kode_provinsi = %(kode_provinsi)s AND id <> wakil;
SET LOCAL enable_seqscan TO DEFAULT;
ANALYZE profil (id);  -- the row count and the join key: the other columns are never filtered on selectively

-- The index: profiles sharing a block (birth date and one key). A block is a 64-bit hash (a
-- collision only adds a pair to score); most blocks hold one pupil, and one sort finds the rest.
-- A name's words key blocks (kuota.kata_kunci) when it has two words or more (a one-word name
-- is keyed by its ends already).
INSERT INTO blok
SELECT *
FROM (
    SELECT kunci, jenis, id,
           count(*) OVER (PARTITION BY kunci) AS profil_n, sum(salinan) OVER (PARTITION BY kunci) AS murid_n
    FROM (
        SELECT id, salinan, 'a' AS jenis, hashtextextended('a' || left(rapat, 3), di_kabupaten) AS kunci
        FROM profil WHERE rapat <> ''
        UNION ALL
        SELECT id, salinan, 'z', hashtextextended('z' || right(rapat, 3), di_kabupaten)
        FROM profil WHERE rapat <> ''
        UNION ALL
        SELECT p.id, p.salinan, 'w', hashtextextended('w' || k, p.di_kabupaten)
        FROM profil p CROSS JOIN LATERAL kuota.kata_kunci(p.nama) k
        WHERE p.nama LIKE '%% %%'
        UNION ALL
        SELECT id, salinan, 'i', hashtextextended('i' || ibu_rapat, di_provinsi)
        FROM profil WHERE ibu_rapat <> ''
    ) kunci
) blok
WHERE murid_n > 1;

-- Pass 1: a block of at most 50 profiles, every pair.
INSERT INTO calon
SELECT x.id, y.id
FROM blok x JOIN blok y ON y.kunci = x.kunci AND x.id < y.id
WHERE x.profil_n BETWEEN 2 AND 50;

-- Pass 2: a larger block is split, never skipped. Every split is a block of its own, and a pair
-- is compared when it shares any one of them:
-- - the folded name's deletion neighbourhood: its letters, and its letters with each one left
--   out. Two names at most one slip apart (a letter changed, added, dropped, or two neighbours
--   swapped) always share one of these, so no such pair is lost.
-- - each word of the name that keys a block (kuota.kata_kunci): names that are one by their
--   words (a word dropped, added or abbreviated) share one unless every whole word of one is
--   typed another way. Pupils with one mother whose names can be neither are twins by the
--   rule below, so in a mother's-name block this split loses no pair that could be flagged
--   (but see the residual risk in docs/kemiripan.md).
-- - for the name-key blocks, also the first and the last three letters of the folded
--   mother's name: pairs whose mothers are not one person's name yet score high.
-- Sub-blocks of at most 50 profiles: every pair.
INSERT INTO subblok
SELECT kunci2, id, nama, ibu, count(*) OVER (PARTITION BY kunci2) AS n
FROM (
    SELECT DISTINCT hashtextextended(b.kunci || '|-' || CASE WHEN d.i = 0 THEN p.rapat
                                                        ELSE left(p.rapat, d.i - 1) || substr(p.rapat, d.i + 1) END, 0) AS kunci2,
           b.id, p.nama, p.ibu
    FROM blok b JOIN profil p USING (id)
    CROSS JOIN LATERAL generate_series(0, length(p.rapat)) d(i)  -- 0: the whole name
    WHERE b.profil_n > 50
    UNION ALL
    SELECT hashtextextended(b.kunci || '|w' || k, 0), b.id, p.nama, p.ibu
    FROM blok b JOIN profil p USING (id) CROSS JOIN LATERAL kuota.kata_kunci(p.nama) k
    WHERE b.profil_n > 50
    UNION ALL
    SELECT hashtextextended(b.kunci || '|' || k.ujung || CASE k.ujung WHEN '<' THEN left(p.ibu_rapat, 3) ELSE right(p.ibu_rapat, 3) END, 0),
           b.id, p.nama, p.ibu
    FROM blok b JOIN profil p USING (id) CROSS JOIN (VALUES ('<'), ('>')) k(ujung)
    WHERE b.profil_n > 50 AND b.jenis <> 'i'
) s;
INSERT INTO calon
SELECT x.id, y.id
FROM subblok x JOIN subblok y ON y.kunci2 = x.kunci2 AND x.id < y.id
WHERE x.n BETWEEN 2 AND 50;

-- Pass 3: a sub-block still over 50 profiles (a placeholder for a mother's name and a common
-- first name, or a padded block) is never quadratic: each profile meets the 10 next to it in
-- name order and the 10 next to it in reversed-name order (a slip at either end of a name moves
-- it little in one of the two). Bounded, and reported below: pairs further apart are not met.
INSERT INTO urutan
SELECT kunci2, id,
       row_number() OVER (PARTITION BY kunci2 ORDER BY kuota.nama_rapat(nama), kuota.nama_rapat(ibu), id) AS maju,
       row_number() OVER (PARTITION BY kunci2 ORDER BY reverse(kuota.nama_rapat(nama)), reverse(kuota.nama_rapat(ibu)), id) AS mundur
FROM subblok WHERE n > 50;
INSERT INTO calon
SELECT least(x.id, y.id), greatest(x.id, y.id)
FROM urutan x CROSS JOIN generate_series(1, 10) k JOIN urutan y ON y.kunci2 = x.kunci2 AND y.maju = x.maju + k
UNION ALL
SELECT least(x.id, y.id), greatest(x.id, y.id)
FROM urutan x CROSS JOIN generate_series(1, 10) k JOIN urutan y ON y.kunci2 = x.kunci2 AND y.mundur = x.mundur + k;

INSERT INTO pasangan SELECT DISTINCT id_a, id_b FROM calon;
ANALYZE pasangan;

-- Every pair scored once: profile pairs between their representatives, and each copy with its
-- representative (a pair of equal profiles; the best score any pair of that profile can reach).
-- Scored by a CREATE TABLE AS, which PostgreSQL runs in parallel workers (an INSERT it does
-- not), from the unlogged tables of 01_prepare_profil.sql: 15.5 s on one core, 8.5 s on two
-- for the largest province at 10 million (docs/benchmarks.md). Then stored.
CREATE UNLOGGED TABLE skor_provinsi AS
SELECT %(periode)s AS periode, r.id_a, r.id_b, n.skor AS skor_nama, i.skor AS skor_ibu,
       a.kode_kabupaten = b.kode_kabupaten AS sama_kabupaten,
       -- The mother's name squared: only a near-equal one is evidence of one child. A name or a
       -- mother's name that cannot be one person's counts squared once more: "Kartini" and
       -- "Kasmini", "Rina Marlina" and "Nina Karlina" are two mothers, not one typed twice.
       least(1, 0.5 * CASE WHEN n.sama THEN n.skor ELSE n.skor ^ 2 END
                + 0.4 * (CASE WHEN i.sama THEN i.skor ELSE i.skor ^ 2 END) ^ 2
                + 0.1 * (a.kode_kabupaten = b.kode_kabupaten)::int) AS skor,
       -- twins: one mother, and names that cannot be one person's, or a boy and a girl
       i.sama AND (NOT n.sama OR a.jenis_kelamin <> b.jenis_kelamin) AS kembar
FROM (
    SELECT id_a, id_b, id_a AS profil_a, id_b AS profil_b FROM pasangan
    UNION ALL
    SELECT wakil, id, wakil, wakil FROM salinan_profil
) r
JOIN profil a ON a.id = r.profil_a
JOIN profil b ON b.id = r.profil_b
CROSS JOIN LATERAL kuota.banding_nama(a.nama, a.ganda, a.huruf, b.nama, b.ganda, b.huruf) n
CROSS JOIN LATERAL kuota.banding_nama(a.ibu, a.ibu_ganda, a.ibu_huruf, b.ibu, b.ibu_ganda, b.ibu_huruf) i;
INSERT INTO kuota.kemiripan (periode, id_a, id_b, skor_nama, skor_ibu, sama_kabupaten, skor, kembar)
SELECT periode, id_a, id_b, skor_nama, skor_ibu, sama_kabupaten, skor, kembar FROM skor_provinsi
ON CONFLICT DO NOTHING;
DROP TABLE skor_provinsi;  -- its files stay until the commit: the size of the pairs stored

-- The province's blocks, for the period's row in kuota.kemiripan_blok (03_record_blok.sql).
INSERT INTO blok_provinsi
SELECT %(kode_provinsi)s,
       (SELECT count(*) FROM profil),
       (SELECT count(DISTINCT kunci) FROM blok),
       (SELECT max(murid_n) FROM blok),
       (SELECT max(profil_n) FROM blok),
       (SELECT count(DISTINCT kunci) FROM blok WHERE profil_n > 50),
       (SELECT count(DISTINCT kunci2) FROM subblok WHERE n > 1),
       (SELECT count(DISTINCT kunci2) FROM subblok WHERE n > 50),
       (SELECT coalesce(sum(p.salinan), 0) FROM (SELECT DISTINCT id FROM urutan) u JOIN profil p USING (id)),
       (SELECT count(*) FROM pasangan),
       greatest((SELECT coalesce(max(profil_n * (profil_n - 1) / 2), 0) FROM blok WHERE profil_n <= 50),
                (SELECT coalesce(max(n * (n - 1) / 2), 0) FROM subblok WHERE n <= 50),
                (SELECT coalesce(max(2 * (10 * n - 55)), 0) FROM subblok WHERE n > 50)),
       (SELECT coalesce(jsonb_agg(jsonb_build_object('kunci', t.kunci, 'murid', t.murid_n, 'profil', t.profil_n)), '[]')
        FROM (SELECT CASE jenis WHEN 'a' THEN 'district+name start' WHEN 'z' THEN 'district+name end'
                                WHEN 'w' THEN 'district+name word' ELSE 'province+mother' END AS kunci, murid_n, profil_n
              FROM (SELECT DISTINCT ON (kunci) kunci, jenis, murid_n, profil_n FROM blok ORDER BY kunci) b
              ORDER BY murid_n DESC, profil_n DESC LIMIT 5) t);
