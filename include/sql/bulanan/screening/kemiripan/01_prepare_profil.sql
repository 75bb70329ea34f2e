-- Step 2 of screening (after bulanan/screening/03_screen_rekaman.sql, same transaction): the similarity index,
-- the last K2 reason, in three files. This one (1 of 3) folds the names and finds the profiles
-- of the whole period, ordered by province; 02_screen_provinsi.sql then compares them a
-- province at a time (every block lies inside one province, so nothing is lost), writing every
-- candidate pair with its score to kuota.kemiripan; 03_record_blok.sql writes the block sizes
-- to kuota.kemiripan_blok and adds kemungkinan_orang_sama to the temp table k2.
-- A province at a time bounds the scratch space by the largest province, not the country: at
-- 50 million records the national pass needed more than 46 GB of temporary files and tables
-- (docs/benchmarks.md, "the national bench").
-- Params: none. Returns each province's code and pupils, in code order.

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
-- pairs, and every copy is still flagged. One sort finds both the representative and the
-- number of copies. It sorts on a hash of the profile first (cheap to compare), whose high half
-- is the province's: so the table lies a province at a time, and a province is read from its
-- own pages (the BRIN index below). The fields themselves only break the hash's ties.
CREATE TEMP TABLE murid ON COMMIT DROP AS
SELECT id, tanggal_lahir, kode_provinsi, kode_kabupaten, jenis_kelamin, nama, ganda, huruf, ibu, ibu_ganda, ibu_huruf,
       first_value(id) OVER profil AS wakil, (count(*) OVER profil)::int AS salinan  -- int: sums stay bigint, not numeric
FROM (
    SELECT r.id, r.tanggal_lahir, r.kode_provinsi, r.kode_kabupaten, r.jenis_kelamin,
           coalesce(n.lipat, '') AS nama, coalesce(n.ganda, '') AS ganda, coalesce(r.nama_huruf, '') AS huruf,
           coalesce(i.lipat, '') AS ibu, coalesce(i.ganda, '') AS ibu_ganda, coalesce(r.ibu_huruf, '') AS ibu_huruf,
           (hashtext(r.kode_provinsi)::bigint << 32)  -- the province in the high half: one stretch of the table each
           | (hashtextextended(r.kode_kabupaten || '|' || coalesce(r.nama_huruf, '') || '|' || coalesce(r.ibu_huruf, ''),
                               r.tanggal_lahir - date '2000-01-01') & 4294967295) AS h  -- the day as the seed: no date to text
    FROM rekaman r
    LEFT JOIN ejaan n ON n.asli = r.nama
    LEFT JOIN ejaan i ON i.asli = r.nama_ibu
    WHERE r.jenis = 'pd' AND r.alasan_k1 IS NULL AND r.tanggal_lahir IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM k2 WHERE k2.jenis = 'pd' AND k2.id = r.id)
) m
WINDOW profil AS (PARTITION BY h, tanggal_lahir, kode_provinsi, kode_kabupaten, jenis_kelamin, huruf, ibu_huruf,
                               nama, ibu, ganda, ibu_ganda ORDER BY id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);
CREATE INDEX ON murid USING brin (kode_provinsi);
ANALYZE murid;

-- What each province's pass fills (02_screen_provinsi.sql): created here, emptied before each
-- province. A table created in this transaction is truncated in place, so its space returns at
-- once; a table dropped would keep its files until the commit.
-- The tables the scoring reads (profil, salinan_profil, pasangan) are unlogged, not temp, so
-- that parallel workers can read them: scoring the pairs is most of a large province's time,
-- and it runs on every core (02_screen_provinsi.sql). They live in a schema of this
-- transaction's own (kerja_<backend pid>, first on its search path), so two periods screened
-- at once never meet; 03_record_blok.sql drops it, and a rollback takes it away too.
DO $$ BEGIN EXECUTE format('CREATE SCHEMA kerja_%s', pg_backend_pid()); END $$;
SELECT set_config('search_path', format('kerja_%s, %s', pg_backend_pid(), current_setting('search_path')), true);
CREATE UNLOGGED TABLE profil (LIKE murid, rapat text, ibu_rapat text, di_kabupaten bigint, di_provinsi bigint);
CREATE UNLOGGED TABLE salinan_profil (wakil uuid, id uuid);
CREATE TEMP TABLE blok (kunci bigint, jenis text, id uuid, profil_n bigint, murid_n bigint) ON COMMIT DROP;
CREATE TEMP TABLE calon (id_a uuid, id_b uuid) ON COMMIT DROP;
CREATE TEMP TABLE subblok (kunci2 bigint, id uuid, nama text, ibu text, n bigint) ON COMMIT DROP;
CREATE TEMP TABLE urutan (kunci2 bigint, id uuid, maju bigint, mundur bigint) ON COMMIT DROP;
CREATE UNLOGGED TABLE pasangan (id_a uuid, id_b uuid);
-- Each province's block sizes, summed up by 03_record_blok.sql.
CREATE TEMP TABLE blok_provinsi (
    kode_provinsi text, profil bigint, blok bigint, blok_terbesar bigint, profil_terbesar bigint,
    blok_dipecah bigint, subblok bigint, subblok_melebihi bigint, murid_melebihi bigint,
    perbandingan bigint, perbandingan_maks bigint, terbesar jsonb
) ON COMMIT DROP;

SELECT kode_provinsi::text, count(*) FROM murid GROUP BY kode_provinsi ORDER BY kode_provinsi::text COLLATE "C";
