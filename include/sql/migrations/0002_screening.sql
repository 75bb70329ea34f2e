-- Screening: reference data kept as data, and the phone rules.
-- Written to be re-applied (IF NOT EXISTS, guarded ALTERs): warehouses made before the version
-- table migrate through it like empty ones. Applied once, recorded in kuota.schema_version.

-- Which provider serves a national prefix, effective-dated: operators merge (Tri into
-- Indosat 2022, Smartfren with XL 2025), so a prefix can change provider on a date. Only
-- partner providers have rows: a mobile number whose prefix has no row in force is
-- `operator_tidak_didukung`. To move a prefix, close its row (berlaku_sampai) and add one.
CREATE TABLE IF NOT EXISTS kuota.prefix_provider (
    prefix          text NOT NULL CHECK (prefix ~ '^08[1-9][0-9]$'),
    provider        text NOT NULL CHECK (provider IN ('telkomsel','indosat','xl','axis','tri','smartfren')),
    berlaku_mulai   date NOT NULL,
    berlaku_sampai  date,  -- exclusive; NULL: still in force
    sumber          text NOT NULL,
    PRIMARY KEY (prefix, berlaku_mulai),
    CHECK (berlaku_sampai IS NULL OR berlaku_sampai > berlaku_mulai)
);

-- The 2020 partners (domain.md, Phone numbers). Not libphonenumber's carrier data: it is
-- newer and lacks some of these ranges (Smartfren's 0884-0886).
INSERT INTO kuota.prefix_provider (prefix, provider, berlaku_mulai, sumber)
SELECT p, provider, DATE '2020-01-01', 'domain.md: 2020 partner prefixes'
FROM (VALUES
  ('telkomsel', ARRAY['0811','0812','0813','0821','0822','0823','0851','0852','0853']),
  ('indosat',   ARRAY['0814','0815','0816','0855','0856','0857','0858']),
  ('xl',        ARRAY['0817','0818','0819','0859','0877','0878']),
  ('axis',      ARRAY['0831','0832','0833','0838']),
  ('tri',       ARRAY['0895','0896','0897','0898','0899']),
  ('smartfren', ARRAY['0881','0882','0883','0884','0885','0886','0887','0888','0889'])
) AS t(provider, prefixes), unnest(prefixes) AS p
ON CONFLICT DO NOTHING;

-- No prefix may have two rows in force on the same day.
CREATE OR REPLACE FUNCTION kuota.prefix_provider_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM kuota.prefix_provider o
             WHERE o.prefix = NEW.prefix AND o.berlaku_mulai <> NEW.berlaku_mulai
               AND daterange(o.berlaku_mulai, o.berlaku_sampai) && daterange(NEW.berlaku_mulai, NEW.berlaku_sampai)) THEN
    RAISE EXCEPTION 'kuota.prefix_provider: prefix % already has a provider in force within [%, %)',
      NEW.prefix, NEW.berlaku_mulai, coalesce(NEW.berlaku_sampai::text, 'open')
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NEW;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'prefix_provider_no_overlap') THEN
    CREATE TRIGGER prefix_provider_no_overlap BEFORE INSERT OR UPDATE ON kuota.prefix_provider
      FOR EACH ROW EXECUTE FUNCTION kuota.prefix_provider_no_overlap();
  END IF;
END $$;

-- What a school operator typed -> MSISDN '62...' when it is a well-formed Indonesian mobile
-- number, else NULL. Agrees with libphonenumber (region ID: valid and of mobile type, same
-- E.164) on every generated number, except where its reading is wrong for this use
-- (docs/nomor.md, tested in tests/test_nomor.py):
--   * a letter anywhere is a typo to send back to the school (libphonenumber reads letters
--     as on a phone keypad, drops a lone letter, or skips leading text);
--   * '62' followed by nine digits starting with 8 is '+62' and a mobile number
--     (libphonenumber reads it as a national landline number of area 062x).
-- Accepted around the digits: spaces, '-', '.', '/', brackets, a leading '+', a leading
-- quote (spreadsheets), any other non-letter junk before the first digit or after the last.
CREATE OR REPLACE FUNCTION kuota.msisdn(typed text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  core text;
  digits text;
  nsn text;
BEGIN
  IF typed ~ '[[:alpha:]]' THEN
    RETURN NULL;
  END IF;
  -- junk goes before the first digit or '+' and after the last digit; a trailing '#' stays
  -- and makes it invalid (a USSD code, and so for libphonenumber)
  core := regexp_replace(typed, '^[^0-9+]+|[^0-9#]+$', '', 'g');
  IF core !~ '^\+?[0-9][-0-9 ().\/]*$' THEN
    RETURN NULL;  -- another symbol among the digits, or a '+' not in front
  END IF;
  digits := regexp_replace(core, '[^0-9]', '', 'g');
  IF left(core, 1) = '+' THEN
    IF left(digits, 2) <> '62' THEN
      RETURN NULL;  -- another country
    END IF;
    nsn := regexp_replace(substr(digits, 3), '^0', '');
  ELSIF left(digits, 2) = '00' THEN
    RETURN NULL;  -- an international call prefix: not a number to top up
  ELSIF left(digits, 1) = '0' THEN
    nsn := substr(digits, 2);
  ELSIF digits ~ '^620?8' THEN
    nsn := regexp_replace(substr(digits, 3), '^0', '');
  ELSE
    nsn := digits;
  END IF;
  IF length(nsn) BETWEEN 9 AND 12 AND nsn ~ '^8[1-35-9][0-9]*$' THEN  -- libphonenumber's ID mobile range
    RETURN '62' || nsn;
  END IF;
  RETURN NULL;
END $$;

-- The cutoff's typed numbers, normalized once per cutoff (screening reads this; corrections
-- made later in the portal are normalized with the same function when they arrive).
CREATE TABLE IF NOT EXISTS kuota.nomor_cutoff (
    cutoff_id  bigint NOT NULL,  -- no per-row FK check (bulk insert): written from the snapshot
    jenis      text NOT NULL CHECK (jenis IN ('pd', 'ptk')),
    id         uuid NOT NULL,
    kosong     boolean NOT NULL,  -- empty or only blanks: nomor_kosong
    msisdn     text CHECK (msisdn ~ '^628[0-9]{8,11}$'),  -- NULL: not a valid mobile number
    PRIMARY KEY (cutoff_id, jenis, id)
);

-- The programme's policies (domain.md, **policy**), in one place, effective-dated. A run
-- reads the values in force on its period's first day and records them (periode_kebijakan).
CREATE TABLE IF NOT EXISTS kuota.kebijakan (
    nama           text NOT NULL,
    nilai          jsonb NOT NULL,
    berlaku_mulai  date NOT NULL,
    keterangan     text NOT NULL,
    PRIMARY KEY (nama, berlaku_mulai)
);
INSERT INTO kuota.kebijakan (nama, nilai, berlaku_mulai, keterangan) VALUES
  ('batas_nomor_bersama', '10', '2020-01-01',
   'more recipients than this on one number: all of them residu nomor_dipakai_bersama'),
  ('kecualikan_penerima_pkh_pip', 'false', '2020-01-01',
   'students receiving PKH or PIP are residu penerima_pkh_pip'),
  ('paket_gb', '{"paud": 20, "pd": 35, "ptk": 42}', '2020-01-01',
   'package per recipient category: PAUD pupil, school pupil, teacher or principal (seed 001)'),
  ('ambang_kemiripan', '0.8', '2020-01-01',
   'similarity index score (0..1) from which two pupils under two NISNs are residu kemungkinan_orang_sama')
ON CONFLICT DO NOTHING;

-- The cutoff's volume check (check_snapshot, bulanan/snapshot/07_check_volume.sql). ambang_volume_cutoff: the
-- largest change of a table's rows in one province against the previous cutoff, as a share
-- (0.2: a drop or a rise of more than a fifth fails). pengecualian_volume_cutoff: the known
-- changes that may pass, a list of {"periode", "tabel", "kode_provinsi" (left out: every
-- province), "alasan"}; to waive one, add a row with the whole list in force from that
-- period's first day (README, "Waiving the volume check").
INSERT INTO kuota.kebijakan (nama, nilai, berlaku_mulai, keterangan) VALUES
  ('ambang_volume_cutoff', '0.2', '2020-01-01',
   'largest change (share) of a table''s rows per province against the previous cutoff before check_snapshot fails'),
  ('pengecualian_volume_cutoff', '[]', '2020-01-01',
   'known volume changes that pass check_snapshot: [{"periode", "tabel", "kode_provinsi" (omit: all), "alasan"}]')
ON CONFLICT DO NOTHING;

-- The values a period ran with: written once, at its first screening; re-runs reuse them.
CREATE TABLE IF NOT EXISTS kuota.periode_kebijakan (
    periode     text PRIMARY KEY REFERENCES kuota.periode,
    nilai       jsonb NOT NULL,
    dicatat_at  timestamptz NOT NULL DEFAULT now()
);

-- Every cutoff record of a period, in exactly one state; later stages advance it.
CREATE TABLE IF NOT EXISTS kuota.penerima (
    periode         text NOT NULL,  -- no per-row FK check (bulk insert): screening writes
                                    -- only periods of kuota.periode
    jenis           text NOT NULL CHECK (jenis IN ('pd', 'ptk')),
    id              uuid NOT NULL,
    sekolah_id      uuid,
    npsn            text,
    kode_provinsi   text,
    kode_kabupaten  text,
    kategori        text CHECK (kategori IN ('paud', 'pd', 'ptk')),
    msisdn          text CHECK (msisdn ~ '^628[0-9]{8,11}$'),
    provider        text CHECK (provider IN ('telkomsel','indosat','xl','axis','tri','smartfren')),
    paket_gb        int CHECK (paket_gb > 0),
    status          text NOT NULL CHECK (status IN ('residu','siap_validasi','dikirim_validasi','valid',
                        'sptjm_dicetak','sptjm_disetujui','dikirim_injeksi','berhasil')),
    alasan          text CHECK (alasan IN ('format_tidak_valid','nisn_tidak_valid','nisn_ganda',
                        'rekaman_duplikat','nisn_konflik','ptk_ganda','kemungkinan_orang_sama',
                        'bukan_sekolah_induk','nomor_kosong','nomor_tidak_valid','operator_tidak_didukung',
                        'nomor_dipakai_bersama','kepemilikan_kosong','tidak_aktif','sekolah_tidak_aktif',
                        'jenis_ptk_tidak_berhak','penerima_pkh_pip','nomor_tidak_aktif','masa_tenggang',
                        'tidak_dikenal_provider','tanpa_respons_provider','sptjm_ditolak','injeksi_gagal')),
    partner_id      uuid,  -- the other record of a kemungkinan_orang_sama pair
    tahap           int NOT NULL DEFAULT 1,
    diubah_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (periode, jenis, id),
    CHECK ((status = 'residu') = (alasan IS NOT NULL)),
    CHECK (status = 'residu' OR (msisdn IS NOT NULL AND provider IS NOT NULL AND paket_gb IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS penerima_status ON kuota.penerima (periode, status, provider);

-- The screening suite's views: one period, chosen by the session setting kuota.periode.
CREATE OR REPLACE VIEW quality.penerima AS
  SELECT * FROM kuota.penerima WHERE periode = current_setting('kuota.periode');
-- Every eligible record (not residu), whatever stage it has reached since.
CREATE OR REPLACE VIEW quality.penerima_siap AS
  SELECT * FROM kuota.penerima WHERE periode = current_setting('kuota.periode') AND status <> 'residu';

-- The similarity index (domain.md, Dedup: one person under two NISNs). Edit distances come from
-- fuzzystrmatch (contrib, trusted): levenshtein in C, fast enough for every candidate pair.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA kuota;

-- Two neighbouring letters swapped, and nothing else (a and b of one length).
CREATE OR REPLACE FUNCTION kuota.tukar_tetangga(a text, b text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT EXISTS (
    SELECT 1 FROM generate_series(1, length(a) - 1) i
    WHERE substr(a, 1, i - 1) = substr(b, 1, i - 1)
      AND substr(a, i, 1) = substr(b, i + 1, 1) AND substr(a, i + 1, 1) = substr(b, i, 1)
      AND substr(a, i + 2) = substr(b, i + 2))
$$;

-- Typing distance: levenshtein (fuzzystrmatch, in C), except that two neighbours swapped count
-- as one slip, not two (the optimal-string-alignment distance wherever it is at most 1). Kept
-- free of sub-selects so the planner inlines it; the swap is looked for only at distance 2.
CREATE OR REPLACE FUNCTION kuota.jarak_ketik(a text, b text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE kuota.levenshtein(a, b)
           WHEN 2 THEN CASE WHEN length(a) = length(b) AND kuota.tukar_tetangga(a, b) THEN 1 ELSE 2 END
           ELSE kuota.levenshtein(a, b)
         END
$$;

-- One operator's slip apart: a letter dropped, added or replaced, or two neighbours swapped.
CREATE OR REPLACE FUNCTION kuota.beda_satu_ketikan(a text, b text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT kuota.jarak_ketik(a, b) <= 1
$$;


-- Indonesian names as the similarity index compares them (docs/kemiripan.md, "Names"): lower
-- case without diacritics or apostrophes; the old spellings folded to today's (EYD and before:
-- tj→c, dj→j, j→y, so nj→ny and sj→sy too; ch→kh, oe→u; and dh→d); every Muhammad form and
-- abbreviation (Muhamad, Mohammad, Mochammad, Moh., Mhd, ...) read as one word; words kept
-- apart by one blank, an abbreviation keeping its dot ("m. rizki"). kuota.lipat_nama also reads
-- a doubled letter once. Folding is a comparison key, not a spelling: "Djoko" and "Joko" both
-- read "yoko". Each step is a plain replace or one cheap regular expression (no repeated
-- back-reference), since it runs on every distinct name of the cutoff; a tripled letter reads
-- doubled (a slip, scored as one).
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA kuota;
CREATE OR REPLACE FUNCTION kuota.lipat_ejaan(nama text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(
           regexp_replace(
             replace(replace(replace(translate(replace(replace(
               replace(translate(lower(kuota.unaccent('kuota.unaccent'::regdictionary, coalesce(nama, ''))),
                                 '''`’‘', ''), '.', '. '),
               'tj', 'c'), 'dj', 'j'), 'j', 'y'), 'ch', 'kh'), 'oe', 'u'), 'dh', 'd'),
             '\m(m[uo]k?h*am+[ae]d|moh|mokh|muh|mukh|mhd|mohd|md|mhmd)\M\.?', 'muhamad', 'g'),
           '[^[:alpha:].]+', ' ', 'g'))
$$;
CREATE OR REPLACE FUNCTION kuota.tanpa_ganda(lipat text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace(lipat, '(.)\1', '\1', 'g') $$;
CREATE OR REPLACE FUNCTION kuota.lipat_nama(nama text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT kuota.tanpa_ganda(kuota.lipat_ejaan(nama)) $$;

-- A folded name's letters only (the typing distance reads these: a slip at a word boundary,
-- "bud isantoso", costs nothing) and its words (an abbreviation keeps its dot; a lone dot is
-- no word).
CREATE OR REPLACE FUNCTION kuota.nama_rapat(lipat text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT translate(lipat, ' .', '') $$;
CREATE OR REPLACE FUNCTION kuota.nama_kata(lipat text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_remove(array_remove(string_to_array(lipat, ' '), '.'), '')
$$;

-- Words too common to be evidence of one person on their own, and too common to key a block:
-- Muhammad (folded), the first words most girls' and mothers' names start with, the Balinese
-- birth-order names and particles.
CREATE OR REPLACE FUNCTION kuota.kata_umum(kata text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT kata = ANY ('{muhamad,siti,nur,sri,ni,luh,i,putu,made,kadek,komang,nyoman,ketut,wayan,gede,abdul,bin,binti}'::text[])
$$;

-- The words of a folded name that key a block of the similarity index, each once: whole words
-- (no initial or abbreviation) of three letters or more that are not common first words.
CREATE OR REPLACE FUNCTION kuota.kata_kunci(lipat text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT DISTINCT k FROM unnest(kuota.nama_kata(lipat)) k
  WHERE length(k) >= 3 AND right(k, 1) <> '.' AND NOT kuota.kata_umum(k)
$$;

-- kuota.banding_nama below took the place of the letters-only similarity.
DROP FUNCTION IF EXISTS kuota.kemiripan_teks(text, text);

-- Two names compared as Indonesian names: skor in [0, 1] and sama, "these can be one person's
-- name". Each name comes folded (kuota.lipat_nama, words apart), its letters folded with their
-- doubles (kuota.lipat_ejaan) and its letters as typed (lower case). Either way counts,
-- whichever says more:
-- - typed: 1 - typing distance / longer length on the letters (folded, folded with doubles,
--   or as typed); sama when at most one slip in any of them, or, a few edits apart, one slip
--   from the other written the old way by one rule (below).
-- - as sets of words: every word of the name with fewer words is found in the other, each
--   equal, an abbreviation of it ("m." in "muhamad", "abd." in "abdul"), or, for one word at
--   most, one slip from it (both of four letters or more); a missing or extra word costs 0.05. Sama when so, and the
--   words found say something: two whole words, or one that is not a common first word
--   (Muhammad, Siti, Nur, Sri, the Balinese birth-order names). "Irfan Budi" is in "Irfan Budi
--   Wicaksono"; "Siti" alone is not evidence of "Siti Aminah".
-- Empty against anything is skor 0, never sama.
CREATE OR REPLACE FUNCTION kuota.banding_nama(a text, a_ganda text, a_huruf text, b text, b_ganda text, b_huruf text,
                                              OUT skor float8, OUT sama boolean)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  ra text := kuota.nama_rapat(a);
  rb text := kuota.nama_rapat(b);
  d int; d_lipat int; aturan text[];
  s text[]; l text[];
  x text; y text; xs text; ys text;
  m float8; best float8; utuh boolean; best_utuh boolean; best_j int; dipakai int[] := '{}';
  total float8 := 0; kata_utuh int := 0; kata_salah int := 0; berarti boolean := false;
BEGIN
  IF ra = '' OR rb = '' THEN skor := 0; sama := false; RETURN; END IF;
  d_lipat := kuota.jarak_ketik(ra, rb);
  skor := 1 - d_lipat::float8 / greatest(length(ra), length(rb));
  sama := d_lipat <= 1;
  -- Folding must never cost a slip: a slip that makes a doubled letter ("Susanti" typed
  -- "Ssanti", "Bere" typed "Bee") or breaks an old spelling ("Djoko" typed "Dojko") is one
  -- slip in the letters folded with their doubles, or as typed.
  IF NOT sama AND coalesce(a_ganda, '') <> '' AND coalesce(b_ganda, '') <> '' THEN
    d := kuota.jarak_ketik(a_ganda, b_ganda);
    skor := greatest(skor, 1 - d::float8 / greatest(length(a_ganda), length(b_ganda)));
    sama := d <= 1;
  END IF;
  IF NOT sama AND coalesce(a_huruf, '') <> '' AND coalesce(b_huruf, '') <> '' THEN
    d := kuota.jarak_ketik(a_huruf, b_huruf);
    skor := greatest(skor, 1 - d::float8 / greatest(length(a_huruf), length(b_huruf)));
    sama := d <= 1;
    -- A slip inside or beside the letters an old spelling changed ("Soemarni" typed "Somearni",
    -- "Choirul" typed "Cohirul"), or an old spelling the fold reads another way ("Aditja" for
    -- "Aditya" reads "adica"), is a few edits apart folded and as typed (up to four: beyond
    -- one, jarak_ketik counts a swap as two), and one slip from the other name written the old
    -- way, rule by rule. Only such near pairs pay for the rules.
    IF NOT sama AND (d_lipat <= 4 OR d <= 4) THEN
      FOREACH aturan SLICE 1 IN ARRAY ARRAY[['u', 'oe'], ['c', 'tj'], ['y', 'j'], ['j', 'dj'], ['kh', 'ch']] LOOP
        IF (strpos(b_huruf, aturan[1]) > 0 AND kuota.jarak_ketik(a_huruf, replace(b_huruf, aturan[1], aturan[2])) <= 1)
           OR (strpos(a_huruf, aturan[1]) > 0 AND kuota.jarak_ketik(replace(a_huruf, aturan[1], aturan[2]), b_huruf) <= 1) THEN
          sama := true;
          skor := greatest(skor, 1 - 1::float8 / greatest(length(a_huruf), length(b_huruf)));
          EXIT;
        END IF;
      END LOOP;
    END IF;
  END IF;
  IF sama THEN RETURN; END IF;
  s := kuota.nama_kata(a); l := kuota.nama_kata(b);
  IF cardinality(s) > cardinality(l) THEN s := l; l := kuota.nama_kata(a); END IF;  -- s: fewer words
  FOREACH x IN ARRAY s LOOP
    xs := rtrim(x, '.');
    best := 0; best_utuh := false; best_j := 0;
    FOR j IN 1 .. cardinality(l) LOOP
      CONTINUE WHEN j = ANY (dipakai);  -- each word of the longer name is found once
      y := l[j];
      ys := rtrim(y, '.');
      utuh := false;
      IF xs = ys THEN
        m := 1; utuh := x = xs AND y = ys AND length(xs) > 1;
      ELSIF xs <> '' AND (x <> xs OR length(xs) = 1) AND starts_with(ys, xs) THEN
        m := 1;  -- x abbreviates y
      ELSIF ys <> '' AND (y <> ys OR length(ys) = 1) AND starts_with(xs, ys) THEN
        m := 1;  -- y abbreviates x
      ELSIF length(xs) >= 4 AND length(ys) >= 4 AND abs(length(xs) - length(ys)) <= 1
            AND kuota.jarak_ketik(xs, ys) <= 1 THEN
        m := 1 - 1::float8 / greatest(length(xs), length(ys)); utuh := x = xs AND y = ys;
      ELSE
        m := 0;
      END IF;
      IF m > best OR (m = best AND m > 0 AND utuh AND NOT best_utuh) THEN
        best := m; best_utuh := utuh; best_j := j;
      END IF;
    END LOOP;
    IF best = 0 THEN RETURN; END IF;  -- a word of the shorter name is not in the longer
    IF best < 1 THEN
      kata_salah := kata_salah + 1;
      IF kata_salah > 1 THEN RETURN; END IF;  -- one slip in all, as typed: two is two names
    END IF;
    dipakai := dipakai || best_j;
    total := total + best;
    IF best_utuh THEN
      kata_utuh := kata_utuh + 1;
      berarti := berarti OR (length(xs) >= 3 AND NOT kuota.kata_umum(xs));
    END IF;
  END LOOP;
  IF berarti OR kata_utuh >= 2 THEN
    sama := true;
    skor := greatest(skor, total / cardinality(s) - 0.05 * (cardinality(l) - cardinality(s)));
  END IF;
END
$$;

-- Every candidate pair the index looked at in a period, with its score: the audit trail of
-- kemungkinan_orang_sama (why this pupil, which partner) and the data of the precision/recall
-- sweep (docs/kemiripan.md). id_a < id_b; pairs of one NISN are settled earlier (K2) and absent.
CREATE TABLE IF NOT EXISTS kuota.kemiripan (
    periode         text NOT NULL,
    id_a            uuid NOT NULL,
    id_b            uuid NOT NULL CHECK (id_a < id_b),
    skor_nama       real NOT NULL,
    skor_ibu        real NOT NULL,
    sama_kabupaten  boolean NOT NULL,
    skor            real NOT NULL CHECK (skor BETWEEN 0 AND 1),
    kembar          boolean NOT NULL,  -- one mother, names that cannot be one person's (twins)
    PRIMARY KEY (periode, id_a, id_b)
);

-- The similarity index's blocks in a period, one row (written by bulanan/screening/04_screen_kemiripan.sql): how
-- big the blocks were, how many were split by a finer key, and how many stayed over the cap
-- after splitting (compared by sorted neighbourhood only: reported, never skipped). Counts
-- only; no names, birth dates or regions (docs/kemiripan.md, "Large blocks").
CREATE TABLE IF NOT EXISTS kuota.kemiripan_blok (
    periode            text PRIMARY KEY,
    murid              bigint NOT NULL,  -- pupils that reached the index
    profil             bigint NOT NULL,  -- distinct (birth date, district, name, mother) among them
    blok               bigint NOT NULL,  -- blocks of more than one pupil
    blok_terbesar      bigint NOT NULL,  -- pupils in the largest block
    profil_terbesar    bigint NOT NULL,  -- most distinct profiles in one block
    blok_dipecah       bigint NOT NULL,  -- blocks of more than batas_blok profiles, split
    subblok            bigint NOT NULL,  -- sub-blocks of more than one profile they gave
    subblok_melebihi   bigint NOT NULL,  -- sub-blocks still over batas_blok: sorted neighbourhood
    murid_melebihi     bigint NOT NULL,  -- pupils in those (loudly reported)
    perbandingan       bigint NOT NULL,  -- distinct profile pairs scored
    perbandingan_maks  bigint NOT NULL,  -- most comparisons one block or sub-block asked for
    batas_blok         int NOT NULL,     -- the cap in force
    terbesar           jsonb NOT NULL    -- the five largest blocks: key kind, pupils, profiles
);

-- The screening suite's view of the pairs flagged in a period (kuota.periode setting): each
-- record with its partner's reason and the pair's score against the period's threshold.
CREATE OR REPLACE VIEW quality.penerima_kemiripan AS
  SELECT p.jenis, p.id, p.partner_id, q.alasan AS partner_alasan, k.skor, k.kembar,
         (v.nilai ->> 'ambang_kemiripan')::real AS ambang
  FROM kuota.penerima p
  LEFT JOIN kuota.penerima q ON q.periode = p.periode AND q.jenis = p.jenis AND q.id = p.partner_id
  LEFT JOIN kuota.kemiripan k ON k.periode = p.periode AND k.id_a = least(p.id, p.partner_id)
                             AND k.id_b = greatest(p.id, p.partner_id)
  LEFT JOIN kuota.periode_kebijakan v ON v.periode = p.periode
  WHERE p.periode = current_setting('kuota.periode') AND p.alasan = 'kemungkinan_orang_sama';
