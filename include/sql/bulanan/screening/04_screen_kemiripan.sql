-- Step 2 of screening (after bulanan/screening/03_screen_rekaman.sql, same transaction): the similarity index,
-- the last K2 reason. Writes every candidate pair with its score to kuota.kemiripan, the
-- block sizes to kuota.kemiripan_blok, and adds kemungkinan_orang_sama to the temp table k2.
-- Params: periode, ambang_kemiripan.

-- Line 3, last K2 reason: one person under two NISNs (the similarity index). Pupils who passed
-- everything above are compared as Indonesian names are written (kuota.lipat_nama: old
-- spellings, the Muhammad forms, doubled letters folded; kuota.banding_nama: typed slips, and
-- names as sets of words). They are blocked on birth date and region, so the pairs stay
-- near-linear: same district and the same first or last three letters of the folded name (one
-- slip leaves one of them intact), or the same folded word of the name (a dropped, added or
-- abbreviated word leaves the others), or same province and the same folded mother's name.
-- Each pair is scored on name, mother's name and district; twins (same mother, names that
-- cannot be one person's) never match. No block is ever skipped: a block of more than 50
-- profiles is split by a finer key, and a sub-block still over 50 is compared by sorted
-- neighbourhood and reported (docs/kemiripan.md).

-- Folded names: each distinct spelling folded once. Names repeat (far fewer spellings than
-- pupils), and folding is the dearest per-row work of the index.
CREATE TEMP TABLE ejaan ON COMMIT DROP AS
SELECT asli, kuota.tanpa_ganda(e) AS lipat, kuota.nama_rapat(e) AS ganda
FROM (SELECT asli, kuota.lipat_ejaan(asli) AS e FROM (
    SELECT r.nama AS asli FROM rekaman r
    WHERE r.jenis = 'pd' AND r.alasan_k1 IS NULL AND r.tanggal_lahir IS NOT NULL
    UNION
    SELECT r.nama_ibu FROM rekaman r
    WHERE r.jenis = 'pd' AND r.alasan_k1 IS NULL AND r.tanggal_lahir IS NOT NULL AND r.nama_ibu IS NOT NULL
) u OFFSET 0) e;  -- OFFSET 0: each name folded once, not once per use of e
ANALYZE ejaan;

-- Profiles: the score reads only birth date, district, sex, name and mother's name (as typed
-- and folded), so pupils equal in all five score alike against anyone. The index compares
-- profiles (one representative, the smallest id), and each copy is paired with its
-- representative: 5,000 copies of 100 pupils are 100 profiles to compare, not 12.5 million
-- pairs, and every copy is still flagged. One sort finds both the representative and the number of copies; it sorts on
-- a hash of the profile first (cheap to compare), the fields themselves only break its ties.
CREATE TEMP TABLE murid ON COMMIT DROP AS
SELECT id, tanggal_lahir, kode_provinsi, kode_kabupaten, jenis_kelamin, nama, ganda, huruf, ibu, ibu_ganda, ibu_huruf,
       first_value(id) OVER profil AS wakil, (count(*) OVER profil)::int AS salinan  -- int: sums stay bigint, not numeric
FROM (
    SELECT r.id, r.tanggal_lahir, r.kode_provinsi, r.kode_kabupaten, r.jenis_kelamin,
           coalesce(n.lipat, '') AS nama, coalesce(n.ganda, '') AS ganda, coalesce(r.nama_huruf, '') AS huruf,
           coalesce(i.lipat, '') AS ibu, coalesce(i.ganda, '') AS ibu_ganda, coalesce(r.ibu_huruf, '') AS ibu_huruf,
           hashtextextended(r.kode_kabupaten || '|' || coalesce(r.nama_huruf, '') || '|' || coalesce(r.ibu_huruf, ''),
                            r.tanggal_lahir - date '2000-01-01') AS h  -- the day as the seed: no date to text
    FROM rekaman r
    LEFT JOIN ejaan n ON n.asli = r.nama
    LEFT JOIN ejaan i ON i.asli = r.nama_ibu
    WHERE r.jenis = 'pd' AND r.alasan_k1 IS NULL AND r.tanggal_lahir IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM k2 WHERE k2.jenis = 'pd' AND k2.id = r.id)
) m
WINDOW profil AS (PARTITION BY h, tanggal_lahir, kode_provinsi, kode_kabupaten, jenis_kelamin, huruf, ibu_huruf,
                               nama, ibu, ganda, ibu_ganda ORDER BY id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);
-- Each profile with its letters and the seeds of its block keys (a hash of birth date and
-- district, and of birth date and province: hashed once here, not once per key).
CREATE TEMP TABLE profil ON COMMIT DROP AS
SELECT *, kuota.nama_rapat(nama) AS rapat, kuota.nama_rapat(ibu) AS ibu_rapat,
       hashtextextended(kode_kabupaten, tanggal_lahir - date '2000-01-01') AS di_kabupaten,
       hashtextextended(kode_provinsi, tanggal_lahir - date '2000-01-01') AS di_provinsi
FROM murid WHERE id = wakil;
ANALYZE profil;

-- The index: profiles sharing a block (birth date and one key). A block is a 64-bit hash (a
-- collision only adds a pair to score); most blocks hold one pupil, and one sort finds the rest.
-- A name's words key blocks (kuota.kata_kunci) when it has two words or more (a one-word name
-- is keyed by its ends already).
CREATE TEMP TABLE blok ON COMMIT DROP AS
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
CREATE TEMP TABLE calon (id_a uuid, id_b uuid) ON COMMIT DROP;
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
CREATE TEMP TABLE subblok ON COMMIT DROP AS
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
CREATE TEMP TABLE urutan ON COMMIT DROP AS
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

CREATE TEMP TABLE pasangan ON COMMIT DROP AS SELECT DISTINCT id_a, id_b FROM calon;
ANALYZE pasangan;

-- Every pair scored once: profile pairs between their representatives, and each copy with its
-- representative (a pair of equal profiles; the best score any pair of that profile can reach).
INSERT INTO kuota.kemiripan (periode, id_a, id_b, skor_nama, skor_ibu, sama_kabupaten, skor, kembar)
SELECT %(periode)s, r.id_a, r.id_b, n.skor, i.skor, a.kode_kabupaten = b.kode_kabupaten,
       -- The mother's name squared: only a near-equal one is evidence of one child. A name or a
       -- mother's name that cannot be one person's counts squared once more: "Kartini" and
       -- "Kasmini", "Rina Marlina" and "Nina Karlina" are two mothers, not one typed twice.
       least(1, 0.5 * CASE WHEN n.sama THEN n.skor ELSE n.skor ^ 2 END
                + 0.4 * (CASE WHEN i.sama THEN i.skor ELSE i.skor ^ 2 END) ^ 2
                + 0.1 * (a.kode_kabupaten = b.kode_kabupaten)::int),
       -- twins: one mother, and names that cannot be one person's, or a boy and a girl
       i.sama AND (NOT n.sama OR a.jenis_kelamin <> b.jenis_kelamin)
FROM (
    SELECT id_a, id_b, id_a AS profil_a, id_b AS profil_b FROM pasangan
    UNION ALL
    SELECT wakil, id, wakil, wakil FROM murid WHERE id <> wakil
) r
JOIN profil a ON a.id = r.profil_a
JOIN profil b ON b.id = r.profil_b
CROSS JOIN LATERAL kuota.banding_nama(a.nama, a.ganda, a.huruf, b.nama, b.ganda, b.huruf) n
CROSS JOIN LATERAL kuota.banding_nama(a.ibu, a.ibu_ganda, a.ibu_huruf, b.ibu, b.ibu_ganda, b.ibu_huruf) i
ON CONFLICT DO NOTHING;

-- The blocks in the run summary: sizes, splits, and what stayed over the cap.
DELETE FROM kuota.kemiripan_blok WHERE periode = %(periode)s;
INSERT INTO kuota.kemiripan_blok
SELECT %(periode)s,
       (SELECT count(*) FROM murid),
       (SELECT count(*) FROM profil),
       (SELECT count(DISTINCT kunci) FROM blok),
       greatest((SELECT max(murid_n) FROM blok), (SELECT least(count(*), 1) FROM murid)),
       greatest((SELECT max(profil_n) FROM blok), (SELECT least(count(*), 1) FROM profil)),
       (SELECT count(DISTINCT kunci) FROM blok WHERE profil_n > 50),
       (SELECT count(DISTINCT kunci2) FROM subblok WHERE n > 1),
       (SELECT count(DISTINCT kunci2) FROM subblok WHERE n > 50),
       (SELECT coalesce(sum(p.salinan), 0) FROM (SELECT DISTINCT id FROM urutan) u JOIN profil p USING (id)),
       (SELECT count(*) FROM pasangan),
       greatest((SELECT coalesce(max(profil_n * (profil_n - 1) / 2), 0) FROM blok WHERE profil_n <= 50),
                (SELECT coalesce(max(n * (n - 1) / 2), 0) FROM subblok WHERE n <= 50),
                (SELECT coalesce(max(2 * (10 * n - 55)), 0) FROM subblok WHERE n > 50)),
       50,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('kunci', t.kunci, 'murid', t.murid_n, 'profil', t.profil_n)
                                  ORDER BY t.murid_n DESC, t.profil_n DESC), '[]')
        FROM (SELECT CASE jenis WHEN 'a' THEN 'district+name start' WHEN 'z' THEN 'district+name end'
                                WHEN 'w' THEN 'district+name word' ELSE 'province+mother' END AS kunci, murid_n, profil_n
              FROM (SELECT DISTINCT ON (kunci) kunci, jenis, murid_n, profil_n FROM blok ORDER BY kunci) b
              ORDER BY murid_n DESC, profil_n DESC LIMIT 5) t);
DO $$
DECLARE r record;
BEGIN
    SELECT * INTO r FROM kuota.kemiripan_blok WHERE periode = %(periode)s;
    IF r.subblok_melebihi > 0 THEN
        RAISE NOTICE 'similarity index: %% sub-blocks still over %% profiles after splitting (%% pupils), compared by sorted neighbourhood only: review them (a placeholder name, or padding)',
                     r.subblok_melebihi, r.batas_blok, r.murid_melebihi;
    END IF;
END $$;

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
