-- A warehouse as the code before versioned migrations left it (the schema files of commit
-- db73fbb^, applied the old way, with no kuota.schema_version), holding one opened period.
-- Made with: pg_dump --no-owner --no-privileges --no-comments --inserts (psql's \restrict
-- lines dropped). tests/test_migrations.py migrates it and compares it with a new warehouse.
--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: kuota; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA kuota;


--
-- Name: quality; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA quality;


--
-- Name: snapshot; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA snapshot;


--
-- Name: fuzzystrmatch; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA kuota;


--
-- Name: unaccent; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA kuota;


--
-- Name: banding_nama(text, text, text, text, text, text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.banding_nama(a text, a_ganda text, a_huruf text, b text, b_ganda text, b_huruf text, OUT skor double precision, OUT sama boolean) RETURNS record
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
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


--
-- Name: batch_tetap(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.batch_tetap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF OLD.sha256 IS NOT NULL OR (to_jsonb(NEW) - 'sha256') <> (to_jsonb(OLD) - 'sha256') THEN
    RAISE EXCEPTION 'batch % was sent (sha256 %): it is immutable', OLD.batch_id, OLD.sha256
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;


--
-- Name: beda_satu_ketikan(text, text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.beda_satu_ketikan(a text, b text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT kuota.jarak_ketik(a, b) <= 1
$$;


--
-- Name: is_waktu(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.is_waktu(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT CASE WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
    THEN snapshot.is_date(left(v, 10)) AND substr(v, 12, 2)::int < 24 AND substr(v, 15, 2)::int < 60
         AND (substr(v, 17, 1) <> ':' OR substr(v, 18, 2)::int < 60)
    ELSE false END
$_$;


--
-- Name: jarak_ketik(text, text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.jarak_ketik(a text, b text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE kuota.levenshtein(a, b)
           WHEN 2 THEN CASE WHEN length(a) = length(b) AND kuota.tukar_tetangga(a, b) THEN 1 ELSE 2 END
           ELSE kuota.levenshtein(a, b)
         END
$$;


--
-- Name: jawaban_tetap(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.jawaban_tetap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF OLD.hasil IS NOT NULL AND NEW.hasil IS DISTINCT FROM OLD.hasil THEN
    RAISE EXCEPTION 'request % of batch % was answered % already: the first answer stands',
      OLD.request_id, OLD.batch_id, OLD.hasil USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.request_id <> OLD.request_id OR NEW.batch_id <> OLD.batch_id OR NEW.msisdn <> OLD.msisdn THEN
    RAISE EXCEPTION 'request % was sent: it is immutable', OLD.request_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;


--
-- Name: kata_kunci(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.kata_kunci(lipat text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT DISTINCT k FROM unnest(kuota.nama_kata(lipat)) k
  WHERE length(k) >= 3 AND right(k, 1) <> '.' AND NOT kuota.kata_umum(k)
$$;


--
-- Name: kata_umum(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.kata_umum(kata text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT kata = ANY ('{muhamad,siti,nur,sri,ni,luh,i,putu,made,kadek,komang,nyoman,ketut,wayan,gede,abdul,bin,binti}'::text[])
$$;


--
-- Name: lipat_ejaan(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.lipat_ejaan(nama text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT btrim(regexp_replace(
           regexp_replace(
             replace(replace(replace(translate(replace(replace(
               replace(translate(lower(kuota.unaccent('kuota.unaccent'::regdictionary, coalesce(nama, ''))),
                                 '''`’‘', ''), '.', '. '),
               'tj', 'c'), 'dj', 'j'), 'j', 'y'), 'ch', 'kh'), 'oe', 'u'), 'dh', 'd'),
             '\m(m[uo]k?h*am+[ae]d|moh|mokh|muh|mukh|mhd|mohd|md|mhmd)\M\.?', 'muhamad', 'g'),
           '[^[:alpha:].]+', ' ', 'g'))
$$;


--
-- Name: lipat_nama(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.lipat_nama(nama text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT kuota.tanpa_ganda(kuota.lipat_ejaan(nama)) $$;


--
-- Name: msisdn(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.msisdn(typed text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $_$
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
END $_$;


--
-- Name: nama_kata(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.nama_kata(lipat text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT array_remove(array_remove(string_to_array(lipat, ' '), '.'), '')
$$;


--
-- Name: nama_rapat(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.nama_rapat(lipat text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT translate(lipat, ' .', '') $$;


--
-- Name: nomor_terkunci(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.nomor_terkunci() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  lock_no text;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.msisdn, NEW.provider, NEW.paket_gb) IS NOT DISTINCT FROM
                          (OLD.msisdn, OLD.provider, OLD.paket_gb) THEN
    RETURN NEW;
  END IF;
  SELECT s.sptjm_no INTO lock_no FROM kuota.sptjm_penerima s
  WHERE s.periode = OLD.periode AND s.jenis = OLD.jenis AND s.id = OLD.id AND NOT s.ditolak;
  IF FOUND THEN
    RAISE EXCEPTION 'record % % of periode % is on %: its number % is locked for the period (% refused)',
      OLD.jenis, OLD.id, OLD.periode, lock_no, OLD.msisdn, TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;


--
-- Name: prefix_provider_no_overlap(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.prefix_provider_no_overlap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: sptjm_penerima_tetap(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.sptjm_penerima_tetap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF (to_jsonb(NEW) - 'ditolak') <> (to_jsonb(OLD) - 'ditolak') OR (OLD.ditolak AND NOT NEW.ditolak)
     OR (NEW.ditolak AND NOT EXISTS (SELECT 1 FROM kuota.sptjm s
                                     WHERE s.sptjm_no = NEW.sptjm_no AND s.keputusan = 'ditolak')) THEN
    RAISE EXCEPTION 'record % % on % is locked: only a rejection of the SPTJM releases it',
      OLD.jenis, OLD.id, OLD.sptjm_no USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;


--
-- Name: sptjm_tetap(); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.sptjm_tetap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF (to_jsonb(NEW) - 'sha256' - 'keputusan' - 'diputuskan_at' - 'berkas')
       <> (to_jsonb(OLD) - 'sha256' - 'keputusan' - 'diputuskan_at' - 'berkas')
     OR (OLD.sha256 IS NOT NULL AND NEW.sha256 IS DISTINCT FROM OLD.sha256) THEN
    RAISE EXCEPTION '% was issued: it is immutable', OLD.sptjm_no
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.keputusan IS NOT NULL AND (NEW.keputusan, NEW.diputuskan_at, NEW.berkas)
                                   IS DISTINCT FROM (OLD.keputusan, OLD.diputuskan_at, OLD.berkas) THEN
    RAISE EXCEPTION '% was % already: a decision is final', OLD.sptjm_no, OLD.keputusan
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;


--
-- Name: tanpa_ganda(text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.tanpa_ganda(lipat text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT regexp_replace(lipat, '(.)\1', '\1', 'g') $$;


--
-- Name: tukar_tetangga(text, text); Type: FUNCTION; Schema: kuota; Owner: -
--

CREATE FUNCTION kuota.tukar_tetangga(a text, b text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT EXISTS (
    SELECT 1 FROM generate_series(1, length(a) - 1) i
    WHERE substr(a, 1, i - 1) = substr(b, 1, i - 1)
      AND substr(a, i, 1) = substr(b, i + 1, 1) AND substr(a, i + 1, 1) = substr(b, i, 1)
      AND substr(a, i + 2) = substr(b, i + 2))
$$;


--
-- Name: days_in_month(integer, integer); Type: FUNCTION; Schema: snapshot; Owner: -
--

CREATE FUNCTION snapshot.days_in_month(y integer, m integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE WHEN m = 2 THEN 28 + (y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0))::int
              ELSE 30 + (m + m / 8) % 2 END
$$;


--
-- Name: is_date(text); Type: FUNCTION; Schema: snapshot; Owner: -
--

CREATE FUNCTION snapshot.is_date(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT CASE WHEN v ~ '^[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]$'  -- CASE: no cast before the regex
    THEN substr(v, 6, 2)::int BETWEEN 1 AND 12
     AND substr(v, 9, 2)::int BETWEEN 1 AND snapshot.days_in_month(substr(v, 1, 4)::int, substr(v, 6, 2)::int)
    ELSE false END
$_$;


--
-- Name: is_uuid(text); Type: FUNCTION; Schema: snapshot; Owner: -
--

CREATE FUNCTION snapshot.is_uuid(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT length(v) = 36
     AND v ~ '^[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+$'
     AND substr(v, 9, 1) = '-' AND substr(v, 14, 1) = '-' AND substr(v, 19, 1) = '-' AND substr(v, 24, 1) = '-'
$_$;


--
-- Name: refuse_change(); Type: FUNCTION; Schema: snapshot; Owner: -
--

CREATE FUNCTION snapshot.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION '%.% is immutable: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: anomali_provider; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.anomali_provider (
    batch_id text NOT NULL,
    sha256 text NOT NULL,
    baris bigint NOT NULL,
    request_id text,
    jenis text NOT NULL,
    dicatat_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT anomali_provider_jenis CHECK ((((jenis = 'berhasil_ganda'::text) AND (request_id IS NOT NULL) AND (baris > 0)) OR ((jenis = 'jawaban_berubah'::text) AND (request_id IS NULL) AND (baris = 0))))
);


--
-- Name: batch; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.batch (
    batch_id text NOT NULL,
    periode text NOT NULL,
    provider text NOT NULL,
    jenis text NOT NULL,
    urutan integer NOT NULL,
    tahap integer NOT NULL,
    baris integer NOT NULL,
    sha256 text,
    dibuat_at timestamp with time zone DEFAULT date_trunc('second'::text, now()) NOT NULL,
    CONSTRAINT batch_baris_check CHECK ((baris > 0)),
    CONSTRAINT batch_batch_id_check CHECK ((batch_id ~ '^[A-Za-z0-9._-]+$'::text)),
    CONSTRAINT batch_jenis_check CHECK ((jenis = ANY (ARRAY['validasi'::text, 'injeksi'::text]))),
    CONSTRAINT batch_provider_check CHECK ((provider = ANY (ARRAY['telkomsel'::text, 'indosat'::text, 'xl'::text, 'axis'::text, 'tri'::text, 'smartfren'::text]))),
    CONSTRAINT batch_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT batch_urutan_check CHECK ((urutan > 0))
);


--
-- Name: berkas_portal; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.berkas_portal (
    periode text NOT NULL,
    jenis text NOT NULL,
    nama text NOT NULL,
    sha256 text NOT NULL,
    hasil text NOT NULL,
    tahap integer,
    baris bigint,
    pesan text,
    karantina text,
    diterima_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT berkas_portal_check CHECK (((hasil = 'dikarantina'::text) = (pesan IS NOT NULL))),
    CONSTRAINT berkas_portal_hasil_check CHECK ((hasil = ANY (ARRAY['dimuat'::text, 'dikarantina'::text]))),
    CONSTRAINT berkas_portal_jenis_check CHECK ((jenis = ANY (ARRAY['koreksi'::text, 'persetujuan'::text])))
);


--
-- Name: injeksi; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.injeksi (
    request_id text NOT NULL,
    batch_id text NOT NULL,
    periode text NOT NULL,
    jenis text NOT NULL,
    id uuid NOT NULL,
    sptjm_no text NOT NULL,
    keputusan text DEFAULT 'disetujui'::text NOT NULL,
    msisdn text NOT NULL,
    provider text NOT NULL,
    paket_gb integer NOT NULL,
    CONSTRAINT injeksi_jenis_check CHECK ((jenis = ANY (ARRAY['pd'::text, 'ptk'::text]))),
    CONSTRAINT injeksi_keputusan_check CHECK ((keputusan = 'disetujui'::text))
);


--
-- Name: jawaban; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.jawaban (
    batch_id text NOT NULL,
    sha256 text NOT NULL,
    hasil text NOT NULL,
    baris bigint,
    pesan text,
    karantina text,
    diterima_at timestamp with time zone DEFAULT now() NOT NULL,
    sidik text,
    CONSTRAINT jawaban_check CHECK (((hasil = 'dikarantina'::text) = (pesan IS NOT NULL))),
    CONSTRAINT jawaban_hasil_check CHECK ((hasil = ANY (ARRAY['dimuat'::text, 'dikarantina'::text])))
);


--
-- Name: kebijakan; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.kebijakan (
    nama text NOT NULL,
    nilai jsonb NOT NULL,
    berlaku_mulai date NOT NULL,
    keterangan text NOT NULL
);


--
-- Name: kemiripan; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.kemiripan (
    periode text NOT NULL,
    id_a uuid NOT NULL,
    id_b uuid NOT NULL,
    skor_nama real NOT NULL,
    skor_ibu real NOT NULL,
    sama_kabupaten boolean NOT NULL,
    skor real NOT NULL,
    kembar boolean NOT NULL,
    CONSTRAINT kemiripan_check CHECK ((id_a < id_b)),
    CONSTRAINT kemiripan_skor_check CHECK (((skor >= (0)::double precision) AND (skor <= (1)::double precision)))
);


--
-- Name: kemiripan_blok; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.kemiripan_blok (
    periode text NOT NULL,
    murid bigint NOT NULL,
    profil bigint NOT NULL,
    blok bigint NOT NULL,
    blok_terbesar bigint NOT NULL,
    profil_terbesar bigint NOT NULL,
    blok_dipecah bigint NOT NULL,
    subblok bigint NOT NULL,
    subblok_melebihi bigint NOT NULL,
    murid_melebihi bigint NOT NULL,
    perbandingan bigint NOT NULL,
    perbandingan_maks bigint NOT NULL,
    batas_blok integer NOT NULL,
    terbesar jsonb NOT NULL
);


--
-- Name: koreksi; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.koreksi (
    periode text NOT NULL,
    berkas text NOT NULL,
    baris bigint NOT NULL,
    jenis text NOT NULL,
    id uuid NOT NULL,
    nomor_hp text NOT NULL,
    kepemilikan_hp text,
    waktu_koreksi timestamp with time zone NOT NULL,
    tahap integer NOT NULL,
    hasil text NOT NULL,
    pesan text,
    CONSTRAINT koreksi_check CHECK (((hasil = 'ditolak'::text) = (pesan IS NOT NULL))),
    CONSTRAINT koreksi_hasil_check CHECK ((hasil = ANY (ARRAY['diterapkan'::text, 'ditolak'::text])))
);


--
-- Name: nomor_cutoff; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.nomor_cutoff (
    cutoff_id bigint NOT NULL,
    jenis text NOT NULL,
    id uuid NOT NULL,
    kosong boolean NOT NULL,
    msisdn text,
    CONSTRAINT nomor_cutoff_jenis_check CHECK ((jenis = ANY (ARRAY['pd'::text, 'ptk'::text]))),
    CONSTRAINT nomor_cutoff_msisdn_check CHECK ((msisdn ~ '^628[0-9]{8,11}$'::text))
);


--
-- Name: penerima; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.penerima (
    periode text NOT NULL,
    jenis text NOT NULL,
    id uuid NOT NULL,
    sekolah_id uuid,
    npsn text,
    kode_provinsi text,
    kode_kabupaten text,
    kategori text,
    msisdn text,
    provider text,
    paket_gb integer,
    status text NOT NULL,
    alasan text,
    partner_id uuid,
    tahap integer DEFAULT 1 NOT NULL,
    diubah_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT penerima_alasan_check CHECK ((alasan = ANY (ARRAY['format_tidak_valid'::text, 'nisn_tidak_valid'::text, 'nisn_ganda'::text, 'rekaman_duplikat'::text, 'nisn_konflik'::text, 'ptk_ganda'::text, 'kemungkinan_orang_sama'::text, 'bukan_sekolah_induk'::text, 'nomor_kosong'::text, 'nomor_tidak_valid'::text, 'operator_tidak_didukung'::text, 'nomor_dipakai_bersama'::text, 'kepemilikan_kosong'::text, 'tidak_aktif'::text, 'sekolah_tidak_aktif'::text, 'jenis_ptk_tidak_berhak'::text, 'penerima_pkh_pip'::text, 'nomor_tidak_aktif'::text, 'masa_tenggang'::text, 'tidak_dikenal_provider'::text, 'tanpa_respons_provider'::text, 'sptjm_ditolak'::text, 'injeksi_gagal'::text]))),
    CONSTRAINT penerima_check CHECK (((status = 'residu'::text) = (alasan IS NOT NULL))),
    CONSTRAINT penerima_check1 CHECK (((status = 'residu'::text) OR ((msisdn IS NOT NULL) AND (provider IS NOT NULL) AND (paket_gb IS NOT NULL)))),
    CONSTRAINT penerima_jenis_check CHECK ((jenis = ANY (ARRAY['pd'::text, 'ptk'::text]))),
    CONSTRAINT penerima_kategori_check CHECK ((kategori = ANY (ARRAY['paud'::text, 'pd'::text, 'ptk'::text]))),
    CONSTRAINT penerima_msisdn_check CHECK ((msisdn ~ '^628[0-9]{8,11}$'::text)),
    CONSTRAINT penerima_paket_gb_check CHECK ((paket_gb > 0)),
    CONSTRAINT penerima_provider_check CHECK ((provider = ANY (ARRAY['telkomsel'::text, 'indosat'::text, 'xl'::text, 'axis'::text, 'tri'::text, 'smartfren'::text]))),
    CONSTRAINT penerima_status_check CHECK ((status = ANY (ARRAY['residu'::text, 'siap_validasi'::text, 'dikirim_validasi'::text, 'valid'::text, 'sptjm_dicetak'::text, 'sptjm_disetujui'::text, 'dikirim_injeksi'::text, 'berhasil'::text])))
);


--
-- Name: periode; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.periode (
    periode text NOT NULL,
    cutoff_id bigint NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT periode_periode_check CHECK ((periode ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'::text))
);


--
-- Name: periode_kebijakan; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.periode_kebijakan (
    periode text NOT NULL,
    nilai jsonb NOT NULL,
    dicatat_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: permintaan; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.permintaan (
    request_id text NOT NULL,
    batch_id text NOT NULL,
    periode text NOT NULL,
    jenis text NOT NULL,
    msisdn text NOT NULL,
    hasil text,
    dijawab_at timestamp with time zone,
    paket_gb integer,
    alasan text,
    waktu_injeksi timestamp with time zone,
    CONSTRAINT permintaan_hasil_check CHECK ((hasil = ANY (ARRAY['aktif'::text, 'tidak_aktif'::text, 'masa_tenggang'::text, 'pascabayar'::text, 'tidak_dikenal'::text, 'berhasil'::text, 'gagal'::text, 'tanpa_respons'::text]))),
    CONSTRAINT permintaan_jenis_check CHECK ((jenis = ANY (ARRAY['validasi'::text, 'injeksi'::text]))),
    CONSTRAINT permintaan_msisdn_check CHECK ((msisdn ~ '^628[0-9]{8,11}$'::text)),
    CONSTRAINT permintaan_paket_gb_check CHECK ((paket_gb > 0)),
    CONSTRAINT permintaan_paket_injeksi CHECK (((jenis = 'injeksi'::text) = (paket_gb IS NOT NULL)))
);


--
-- Name: prefix_provider; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.prefix_provider (
    prefix text NOT NULL,
    provider text NOT NULL,
    berlaku_mulai date NOT NULL,
    berlaku_sampai date,
    sumber text NOT NULL,
    CONSTRAINT prefix_provider_check CHECK (((berlaku_sampai IS NULL) OR (berlaku_sampai > berlaku_mulai))),
    CONSTRAINT prefix_provider_prefix_check CHECK ((prefix ~ '^08[1-9][0-9]$'::text)),
    CONSTRAINT prefix_provider_provider_check CHECK ((provider = ANY (ARRAY['telkomsel'::text, 'indosat'::text, 'xl'::text, 'axis'::text, 'tri'::text, 'smartfren'::text])))
);


--
-- Name: sptjm; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.sptjm (
    sptjm_no text NOT NULL,
    periode text NOT NULL,
    npsn text NOT NULL,
    urutan integer NOT NULL,
    tahap integer NOT NULL,
    baris integer NOT NULL,
    paket_gb bigint NOT NULL,
    dibuat_at timestamp with time zone DEFAULT date_trunc('second'::text, now()) NOT NULL,
    sha256 text,
    keputusan text,
    diputuskan_at timestamp with time zone,
    berkas text,
    CONSTRAINT sptjm_baris_check CHECK ((baris > 0)),
    CONSTRAINT sptjm_check CHECK ((sptjm_no = ((((('SPTJM-'::text || periode) || '-'::text) || npsn) || '-'::text) || urutan))),
    CONSTRAINT sptjm_check1 CHECK (((keputusan IS NULL) = (diputuskan_at IS NULL))),
    CONSTRAINT sptjm_keputusan_check CHECK ((keputusan = ANY (ARRAY['disetujui'::text, 'ditolak'::text]))),
    CONSTRAINT sptjm_npsn_check CHECK ((npsn ~ '^[0-9]{8}$'::text)),
    CONSTRAINT sptjm_paket_gb_check CHECK ((paket_gb > 0)),
    CONSTRAINT sptjm_sha256_check CHECK ((sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT sptjm_urutan_check CHECK ((urutan > 0))
);


--
-- Name: sptjm_penerima; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.sptjm_penerima (
    sptjm_no text NOT NULL,
    periode text NOT NULL,
    jenis text NOT NULL,
    id uuid NOT NULL,
    msisdn text NOT NULL,
    provider text NOT NULL,
    paket_gb integer NOT NULL,
    ditolak boolean DEFAULT false NOT NULL,
    CONSTRAINT sptjm_penerima_jenis_check CHECK ((jenis = ANY (ARRAY['pd'::text, 'ptk'::text]))),
    CONSTRAINT sptjm_penerima_msisdn_check CHECK ((msisdn ~ '^628[0-9]{8,11}$'::text)),
    CONSTRAINT sptjm_penerima_paket_gb_check CHECK ((paket_gb > 0))
);


--
-- Name: tahap; Type: TABLE; Schema: kuota; Owner: -
--

CREATE TABLE kuota.tahap (
    periode text NOT NULL,
    tahap integer NOT NULL,
    dibuka_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tahap_tahap_check CHECK ((tahap > 0))
);


--
-- Name: berhasil_tanpa_ledger; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.berhasil_tanpa_ledger AS
 SELECT p.jenis,
    p.id,
    p.provider
   FROM kuota.penerima p
  WHERE ((p.periode = current_setting('kuota.periode'::text)) AND (p.status = 'berhasil'::text) AND (NOT (EXISTS ( SELECT 1
           FROM (kuota.injeksi i
             JOIN kuota.permintaan r USING (request_id))
          WHERE ((i.periode = p.periode) AND (i.jenis = p.jenis) AND (i.id = p.id) AND (r.hasil = 'berhasil'::text))))));


--
-- Name: injeksi; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.injeksi AS
 SELECT i.request_id,
    i.batch_id,
    i.periode,
    i.jenis,
    i.id,
    i.sptjm_no,
    i.keputusan,
    i.msisdn,
    i.provider,
    i.paket_gb,
    r.hasil
   FROM (kuota.injeksi i
     JOIN kuota.permintaan r USING (request_id))
  WHERE (i.periode = current_setting('kuota.periode'::text));


--
-- Name: penerima; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.penerima AS
 SELECT penerima.periode,
    penerima.jenis,
    penerima.id,
    penerima.sekolah_id,
    penerima.npsn,
    penerima.kode_provinsi,
    penerima.kode_kabupaten,
    penerima.kategori,
    penerima.msisdn,
    penerima.provider,
    penerima.paket_gb,
    penerima.status,
    penerima.alasan,
    penerima.partner_id,
    penerima.tahap,
    penerima.diubah_at
   FROM kuota.penerima
  WHERE (penerima.periode = current_setting('kuota.periode'::text));


--
-- Name: penerima_kemiripan; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.penerima_kemiripan AS
 SELECT p.jenis,
    p.id,
    p.partner_id,
    q.alasan AS partner_alasan,
    k.skor,
    k.kembar,
    ((v.nilai ->> 'ambang_kemiripan'::text))::real AS ambang
   FROM (((kuota.penerima p
     LEFT JOIN kuota.penerima q ON (((q.periode = p.periode) AND (q.jenis = p.jenis) AND (q.id = p.partner_id))))
     LEFT JOIN kuota.kemiripan k ON (((k.periode = p.periode) AND (k.id_a = LEAST(p.id, p.partner_id)) AND (k.id_b = GREATEST(p.id, p.partner_id)))))
     LEFT JOIN kuota.periode_kebijakan v ON ((v.periode = p.periode)))
  WHERE ((p.periode = current_setting('kuota.periode'::text)) AND (p.alasan = 'kemungkinan_orang_sama'::text));


--
-- Name: penerima_siap; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.penerima_siap AS
 SELECT penerima.periode,
    penerima.jenis,
    penerima.id,
    penerima.sekolah_id,
    penerima.npsn,
    penerima.kode_provinsi,
    penerima.kode_kabupaten,
    penerima.kategori,
    penerima.msisdn,
    penerima.provider,
    penerima.paket_gb,
    penerima.status,
    penerima.alasan,
    penerima.partner_id,
    penerima.tahap,
    penerima.diubah_at
   FROM kuota.penerima
  WHERE ((penerima.periode = current_setting('kuota.periode'::text)) AND (penerima.status <> 'residu'::text));


--
-- Name: rekonsiliasi; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.rekonsiliasi AS
 WITH r AS (
         SELECT i.provider,
            count(*) AS diminta,
            count(*) FILTER (WHERE (r_1.hasil = 'berhasil'::text)) AS berhasil,
            count(*) FILTER (WHERE (r_1.hasil = 'gagal'::text)) AS gagal,
            count(*) FILTER (WHERE (r_1.hasil = 'tanpa_respons'::text)) AS tanpa_respons,
            count(*) FILTER (WHERE (r_1.hasil IS NULL)) AS menunggu,
            COALESCE(sum(r_1.paket_gb) FILTER (WHERE (r_1.hasil = 'berhasil'::text)), (0)::bigint) AS gb_berhasil,
            count(*) FILTER (WHERE (p.status = 'berhasil'::text)) AS penerima_berhasil,
            COALESCE(sum(p.paket_gb) FILTER (WHERE (p.status = 'berhasil'::text)), (0)::bigint) AS gb_penerima_berhasil,
            count(*) FILTER (WHERE (p.alasan = 'injeksi_gagal'::text)) AS penerima_gagal,
            count(*) FILTER (WHERE (p.status = 'dikirim_injeksi'::text)) AS penerima_menunggu
           FROM ((kuota.injeksi i
             JOIN kuota.permintaan r_1 USING (request_id))
             JOIN kuota.penerima p ON (((p.periode = i.periode) AND (p.jenis = i.jenis) AND (p.id = i.id))))
          WHERE (i.periode = current_setting('kuota.periode'::text))
          GROUP BY i.provider
        )
 SELECT r.provider,
    r.diminta,
    r.berhasil,
    r.gagal,
    r.tanpa_respons,
    r.menunggu,
    r.gb_berhasil,
    r.penerima_berhasil,
    r.gb_penerima_berhasil,
    r.penerima_gagal,
    r.penerima_menunggu,
    (r.diminta - (((r.berhasil + r.gagal) + r.tanpa_respons) + r.menunggu)) AS selisih
   FROM r;


--
-- Name: peserta_didik; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.peserta_didik (
    cutoff_id bigint NOT NULL,
    baris bigint NOT NULL,
    peserta_didik_id uuid NOT NULL,
    nisn text NOT NULL,
    nik text NOT NULL,
    nama text NOT NULL,
    jenis_kelamin character(1) NOT NULL,
    tanggal_lahir date NOT NULL,
    nama_ibu_kandung text NOT NULL,
    sekolah_id uuid NOT NULL,
    tingkat_pendidikan smallint NOT NULL,
    status text NOT NULL,
    nomor_hp text NOT NULL,
    kepemilikan_hp text,
    penerima_pip boolean NOT NULL,
    penerima_pkh boolean NOT NULL,
    nomor_kip text NOT NULL,
    nomor_kps text NOT NULL,
    tanggal_masuk_sekolah date,
    CONSTRAINT peserta_didik_jenis_kelamin_check CHECK ((jenis_kelamin = ANY (ARRAY['L'::bpchar, 'P'::bpchar]))),
    CONSTRAINT peserta_didik_kepemilikan_hp_check CHECK ((kepemilikan_hp = ANY (ARRAY['sendiri'::text, 'orang_tua'::text, 'wali'::text, 'saudara'::text, 'lainnya'::text]))),
    CONSTRAINT peserta_didik_status_check CHECK ((status = ANY (ARRAY['aktif'::text, 'keluar'::text, 'lulus'::text]))),
    CONSTRAINT peserta_didik_tingkat_pendidikan_check CHECK (((tingkat_pendidikan >= 0) AND (tingkat_pendidikan <= 13)))
);


--
-- Name: snapshot_peserta_didik; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.snapshot_peserta_didik AS
 SELECT peserta_didik.cutoff_id,
    peserta_didik.baris,
    peserta_didik.peserta_didik_id,
    peserta_didik.nisn,
    peserta_didik.nik,
    peserta_didik.nama,
    peserta_didik.jenis_kelamin,
    peserta_didik.tanggal_lahir,
    peserta_didik.nama_ibu_kandung,
    peserta_didik.sekolah_id,
    peserta_didik.tingkat_pendidikan,
    peserta_didik.status,
    peserta_didik.nomor_hp,
    peserta_didik.kepemilikan_hp,
    peserta_didik.penerima_pip,
    peserta_didik.penerima_pkh,
    peserta_didik.nomor_kip,
    peserta_didik.nomor_kps,
    peserta_didik.tanggal_masuk_sekolah
   FROM snapshot.peserta_didik
  WHERE (peserta_didik.cutoff_id = (current_setting('kuota.cutoff_id'::text))::bigint);


--
-- Name: ptk; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.ptk (
    cutoff_id bigint NOT NULL,
    baris bigint NOT NULL,
    ptk_id uuid NOT NULL,
    nuptk text NOT NULL,
    nik text NOT NULL,
    nama text NOT NULL,
    jenis_kelamin character(1) NOT NULL,
    tanggal_lahir date NOT NULL,
    nama_ibu_kandung text NOT NULL,
    jenis_ptk text NOT NULL,
    sekolah_id uuid NOT NULL,
    ptk_induk boolean NOT NULL,
    status text NOT NULL,
    jenis_keluar text,
    nomor_hp text NOT NULL,
    kepemilikan_hp text,
    CONSTRAINT ptk_jenis_kelamin_check CHECK ((jenis_kelamin = ANY (ARRAY['L'::bpchar, 'P'::bpchar]))),
    CONSTRAINT ptk_jenis_keluar_check CHECK ((jenis_keluar = ANY (ARRAY['pensiun'::text, 'mengundurkan_diri'::text, 'diberhentikan'::text, 'meninggal'::text, 'mutasi'::text]))),
    CONSTRAINT ptk_jenis_ptk_check CHECK ((jenis_ptk = ANY (ARRAY['guru'::text, 'kepala_sekolah'::text, 'tenaga_administrasi'::text, 'operator'::text, 'lainnya'::text]))),
    CONSTRAINT ptk_kepemilikan_hp_check CHECK ((kepemilikan_hp = ANY (ARRAY['sendiri'::text, 'orang_tua'::text, 'wali'::text, 'saudara'::text, 'lainnya'::text]))),
    CONSTRAINT ptk_status_check CHECK ((status = ANY (ARRAY['aktif'::text, 'keluar'::text])))
);


--
-- Name: snapshot_ptk; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.snapshot_ptk AS
 SELECT ptk.cutoff_id,
    ptk.baris,
    ptk.ptk_id,
    ptk.nuptk,
    ptk.nik,
    ptk.nama,
    ptk.jenis_kelamin,
    ptk.tanggal_lahir,
    ptk.nama_ibu_kandung,
    ptk.jenis_ptk,
    ptk.sekolah_id,
    ptk.ptk_induk,
    ptk.status,
    ptk.jenis_keluar,
    ptk.nomor_hp,
    ptk.kepemilikan_hp
   FROM snapshot.ptk
  WHERE (ptk.cutoff_id = (current_setting('kuota.cutoff_id'::text))::bigint);


--
-- Name: sekolah; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.sekolah (
    cutoff_id bigint NOT NULL,
    baris bigint NOT NULL,
    sekolah_id uuid NOT NULL,
    npsn character(8) NOT NULL,
    nama text NOT NULL,
    bentuk_pendidikan text NOT NULL,
    status text NOT NULL,
    kode_provinsi character(2) NOT NULL,
    kode_kabupaten character(4) NOT NULL,
    CONSTRAINT sekolah_bentuk_pendidikan_check CHECK ((bentuk_pendidikan = ANY (ARRAY['TK'::text, 'KB'::text, 'SD'::text, 'SMP'::text, 'SMA'::text, 'SMK'::text, 'SLB'::text, 'PKBM'::text]))),
    CONSTRAINT sekolah_kode_kabupaten_check CHECK ((kode_kabupaten ~ '^[0-9]{4}$'::text)),
    CONSTRAINT sekolah_kode_provinsi_check CHECK ((kode_provinsi ~ '^[0-9]{2}$'::text)),
    CONSTRAINT sekolah_npsn_check CHECK ((npsn ~ '^[0-9]{8}$'::text)),
    CONSTRAINT sekolah_status_check CHECK ((status = ANY (ARRAY['aktif'::text, 'tutup'::text])))
);


--
-- Name: snapshot_sekolah; Type: VIEW; Schema: quality; Owner: -
--

CREATE VIEW quality.snapshot_sekolah AS
 SELECT sekolah.cutoff_id,
    sekolah.baris,
    sekolah.sekolah_id,
    sekolah.npsn,
    sekolah.nama,
    sekolah.bentuk_pendidikan,
    sekolah.status,
    sekolah.kode_provinsi,
    sekolah.kode_kabupaten
   FROM snapshot.sekolah
  WHERE (sekolah.cutoff_id = (current_setting('kuota.cutoff_id'::text))::bigint);


--
-- Name: cutoff; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.cutoff (
    cutoff_id bigint NOT NULL,
    cutoff_date date NOT NULL,
    content_sha256 text NOT NULL,
    source_uri text NOT NULL,
    manifest jsonb NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: cutoff_cutoff_id_seq; Type: SEQUENCE; Schema: snapshot; Owner: -
--

ALTER TABLE snapshot.cutoff ALTER COLUMN cutoff_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME snapshot.cutoff_cutoff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: cutoff_file; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.cutoff_file (
    cutoff_id bigint NOT NULL,
    tabel text NOT NULL,
    file_name text NOT NULL,
    sha256 text NOT NULL,
    manifest_rows bigint NOT NULL,
    loaded_rows bigint NOT NULL,
    invalid_rows bigint NOT NULL,
    seconds numeric NOT NULL,
    loaded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cutoff_file_check CHECK (((loaded_rows + invalid_rows) = manifest_rows)),
    CONSTRAINT cutoff_file_tabel_check CHECK ((tabel = ANY (ARRAY['sekolah'::text, 'peserta_didik'::text, 'ptk'::text])))
);


--
-- Name: cutoff_volume; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.cutoff_volume (
    cutoff_id bigint NOT NULL,
    tabel text NOT NULL,
    kode_provinsi text NOT NULL,
    baris bigint NOT NULL,
    CONSTRAINT cutoff_volume_baris_check CHECK ((baris > 0)),
    CONSTRAINT cutoff_volume_tabel_check CHECK ((tabel = ANY (ARRAY['sekolah'::text, 'peserta_didik'::text, 'ptk'::text])))
);


--
-- Name: format_tidak_valid; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.format_tidak_valid (
    cutoff_id bigint NOT NULL,
    tabel text NOT NULL,
    baris bigint NOT NULL,
    id_rekaman uuid,
    pelanggaran text NOT NULL,
    sekolah_id uuid
);


--
-- Name: raw_peserta_didik; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.raw_peserta_didik (
    baris bigint,
    ncol integer,
    peserta_didik_id text,
    nisn text,
    nik text,
    nama text,
    jenis_kelamin text,
    tanggal_lahir text,
    nama_ibu_kandung text,
    sekolah_id text,
    tingkat_pendidikan text,
    status text,
    nomor_hp text,
    kepemilikan_hp text,
    penerima_pip text,
    penerima_pkh text,
    nomor_kip text,
    nomor_kps text,
    tanggal_masuk_sekolah text
);


--
-- Name: raw_ptk; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.raw_ptk (
    baris bigint,
    ncol integer,
    ptk_id text,
    nuptk text,
    nik text,
    nama text,
    jenis_kelamin text,
    tanggal_lahir text,
    nama_ibu_kandung text,
    jenis_ptk text,
    sekolah_id text,
    ptk_induk text,
    status text,
    jenis_keluar text,
    nomor_hp text,
    kepemilikan_hp text
);


--
-- Name: raw_sekolah; Type: TABLE; Schema: snapshot; Owner: -
--

CREATE TABLE snapshot.raw_sekolah (
    baris bigint,
    ncol integer,
    sekolah_id text,
    npsn text,
    nama text,
    bentuk_pendidikan text,
    status text,
    kode_provinsi text,
    kode_kabupaten text
);


--
-- Data for Name: anomali_provider; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: batch; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: berkas_portal; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: injeksi; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: jawaban; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: kebijakan; Type: TABLE DATA; Schema: kuota; Owner: -
--

INSERT INTO kuota.kebijakan VALUES ('batas_nomor_bersama', '10', '2020-01-01', 'more recipients than this on one number: all of them residu nomor_dipakai_bersama');
INSERT INTO kuota.kebijakan VALUES ('kecualikan_penerima_pkh_pip', 'false', '2020-01-01', 'students receiving PKH or PIP are residu penerima_pkh_pip');
INSERT INTO kuota.kebijakan VALUES ('paket_gb', '{"pd": 35, "ptk": 42, "paud": 20}', '2020-01-01', 'package per recipient category: PAUD pupil, school pupil, teacher or principal (seed 001)');
INSERT INTO kuota.kebijakan VALUES ('ambang_kemiripan', '0.8', '2020-01-01', 'similarity index score (0..1) from which two pupils under two NISNs are residu kemungkinan_orang_sama');
INSERT INTO kuota.kebijakan VALUES ('ambang_volume_cutoff', '0.2', '2020-01-01', 'largest change (share) of a table''s rows per province against the previous cutoff before check_snapshot fails');
INSERT INTO kuota.kebijakan VALUES ('pengecualian_volume_cutoff', '[]', '2020-01-01', 'known volume changes that pass check_snapshot: [{"periode", "tabel", "kode_provinsi" (omit: all), "alasan"}]');


--
-- Data for Name: kemiripan; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: kemiripan_blok; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: koreksi; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: nomor_cutoff; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: penerima; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: periode; Type: TABLE DATA; Schema: kuota; Owner: -
--

INSERT INTO kuota.periode VALUES ('2020-09', 1, '2020-09-11 23:00:00+00');


--
-- Data for Name: periode_kebijakan; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: permintaan; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: prefix_provider; Type: TABLE DATA; Schema: kuota; Owner: -
--

INSERT INTO kuota.prefix_provider VALUES ('0811', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0812', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0813', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0821', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0822', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0823', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0851', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0852', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0853', 'telkomsel', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0814', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0815', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0816', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0855', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0856', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0857', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0858', 'indosat', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0817', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0818', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0819', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0859', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0877', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0878', 'xl', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0831', 'axis', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0832', 'axis', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0833', 'axis', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0838', 'axis', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0895', 'tri', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0896', 'tri', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0897', 'tri', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0898', 'tri', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0899', 'tri', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0881', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0882', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0883', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0884', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0885', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0886', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0887', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0888', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');
INSERT INTO kuota.prefix_provider VALUES ('0889', 'smartfren', '2020-01-01', NULL, 'domain.md: 2020 partner prefixes');


--
-- Data for Name: sptjm; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: sptjm_penerima; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: tahap; Type: TABLE DATA; Schema: kuota; Owner: -
--



--
-- Data for Name: cutoff; Type: TABLE DATA; Schema: snapshot; Owner: -
--

INSERT INTO snapshot.cutoff OVERRIDING SYSTEM VALUE VALUES (1, '2020-09-11', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 's3://kuota/dapodik/cutoff-2020-09', '{"files": {}, "cutoff_date": "2020-09-11"}', '2026-12-02 09:11:19.399959+00');


--
-- Data for Name: cutoff_file; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: cutoff_volume; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: format_tidak_valid; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: peserta_didik; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: ptk; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: raw_peserta_didik; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: raw_ptk; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: raw_sekolah; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Data for Name: sekolah; Type: TABLE DATA; Schema: snapshot; Owner: -
--



--
-- Name: cutoff_cutoff_id_seq; Type: SEQUENCE SET; Schema: snapshot; Owner: -
--

SELECT pg_catalog.setval('snapshot.cutoff_cutoff_id_seq', 1, true);


--
-- Name: anomali_provider anomali_provider_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.anomali_provider
    ADD CONSTRAINT anomali_provider_pkey PRIMARY KEY (batch_id, sha256, baris);


--
-- Name: batch batch_periode_provider_jenis_urutan_key; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.batch
    ADD CONSTRAINT batch_periode_provider_jenis_urutan_key UNIQUE (periode, provider, jenis, urutan);


--
-- Name: batch batch_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.batch
    ADD CONSTRAINT batch_pkey PRIMARY KEY (batch_id);


--
-- Name: batch batch_provider; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.batch
    ADD CONSTRAINT batch_provider UNIQUE (batch_id, provider);


--
-- Name: berkas_portal berkas_portal_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.berkas_portal
    ADD CONSTRAINT berkas_portal_pkey PRIMARY KEY (periode, jenis, nama, sha256);


--
-- Name: injeksi injeksi_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_pkey PRIMARY KEY (request_id);


--
-- Name: injeksi injeksi_request_id_msisdn_paket_gb_key; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_request_id_msisdn_paket_gb_key UNIQUE (request_id, msisdn, paket_gb);


--
-- Name: injeksi injeksi_sekali_per_periode; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_sekali_per_periode UNIQUE (periode, jenis, id);


--
-- Name: jawaban jawaban_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.jawaban
    ADD CONSTRAINT jawaban_pkey PRIMARY KEY (batch_id, sha256);


--
-- Name: kebijakan kebijakan_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.kebijakan
    ADD CONSTRAINT kebijakan_pkey PRIMARY KEY (nama, berlaku_mulai);


--
-- Name: kemiripan_blok kemiripan_blok_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.kemiripan_blok
    ADD CONSTRAINT kemiripan_blok_pkey PRIMARY KEY (periode);


--
-- Name: kemiripan kemiripan_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.kemiripan
    ADD CONSTRAINT kemiripan_pkey PRIMARY KEY (periode, id_a, id_b);


--
-- Name: koreksi koreksi_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.koreksi
    ADD CONSTRAINT koreksi_pkey PRIMARY KEY (periode, berkas, baris);


--
-- Name: nomor_cutoff nomor_cutoff_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.nomor_cutoff
    ADD CONSTRAINT nomor_cutoff_pkey PRIMARY KEY (cutoff_id, jenis, id);


--
-- Name: penerima penerima_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.penerima
    ADD CONSTRAINT penerima_pkey PRIMARY KEY (periode, jenis, id);


--
-- Name: periode_kebijakan periode_kebijakan_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.periode_kebijakan
    ADD CONSTRAINT periode_kebijakan_pkey PRIMARY KEY (periode);


--
-- Name: periode periode_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.periode
    ADD CONSTRAINT periode_pkey PRIMARY KEY (periode);


--
-- Name: permintaan permintaan_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.permintaan
    ADD CONSTRAINT permintaan_pkey PRIMARY KEY (request_id);


--
-- Name: prefix_provider prefix_provider_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.prefix_provider
    ADD CONSTRAINT prefix_provider_pkey PRIMARY KEY (prefix, berlaku_mulai);


--
-- Name: sptjm_penerima sptjm_penerima_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm_penerima
    ADD CONSTRAINT sptjm_penerima_pkey PRIMARY KEY (sptjm_no, jenis, id);


--
-- Name: sptjm_penerima sptjm_penerima_sptjm_no_periode_jenis_id_msisdn_provider_pa_key; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm_penerima
    ADD CONSTRAINT sptjm_penerima_sptjm_no_periode_jenis_id_msisdn_provider_pa_key UNIQUE (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb);


--
-- Name: sptjm sptjm_periode_npsn_urutan_key; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm
    ADD CONSTRAINT sptjm_periode_npsn_urutan_key UNIQUE (periode, npsn, urutan);


--
-- Name: sptjm sptjm_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm
    ADD CONSTRAINT sptjm_pkey PRIMARY KEY (sptjm_no);


--
-- Name: sptjm sptjm_sptjm_no_keputusan_key; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm
    ADD CONSTRAINT sptjm_sptjm_no_keputusan_key UNIQUE (sptjm_no, keputusan);


--
-- Name: tahap tahap_pkey; Type: CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.tahap
    ADD CONSTRAINT tahap_pkey PRIMARY KEY (periode, tahap);


--
-- Name: cutoff cutoff_content_sha256_key; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff
    ADD CONSTRAINT cutoff_content_sha256_key UNIQUE (content_sha256);


--
-- Name: cutoff cutoff_cutoff_date_key; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff
    ADD CONSTRAINT cutoff_cutoff_date_key UNIQUE (cutoff_date);


--
-- Name: cutoff_file cutoff_file_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff_file
    ADD CONSTRAINT cutoff_file_pkey PRIMARY KEY (cutoff_id, tabel);


--
-- Name: cutoff cutoff_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff
    ADD CONSTRAINT cutoff_pkey PRIMARY KEY (cutoff_id);


--
-- Name: cutoff_volume cutoff_volume_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff_volume
    ADD CONSTRAINT cutoff_volume_pkey PRIMARY KEY (cutoff_id, tabel, kode_provinsi);


--
-- Name: format_tidak_valid format_tidak_valid_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.format_tidak_valid
    ADD CONSTRAINT format_tidak_valid_pkey PRIMARY KEY (cutoff_id, tabel, baris);


--
-- Name: peserta_didik peserta_didik_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.peserta_didik
    ADD CONSTRAINT peserta_didik_pkey PRIMARY KEY (cutoff_id, peserta_didik_id);


--
-- Name: ptk ptk_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.ptk
    ADD CONSTRAINT ptk_pkey PRIMARY KEY (cutoff_id, ptk_id);


--
-- Name: sekolah sekolah_pkey; Type: CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.sekolah
    ADD CONSTRAINT sekolah_pkey PRIMARY KEY (cutoff_id, sekolah_id);


--
-- Name: berkas_portal_dimuat_sekali; Type: INDEX; Schema: kuota; Owner: -
--

CREATE UNIQUE INDEX berkas_portal_dimuat_sekali ON kuota.berkas_portal USING btree (periode, jenis, nama) WHERE (hasil = 'dimuat'::text);


--
-- Name: injeksi_batch; Type: INDEX; Schema: kuota; Owner: -
--

CREATE INDEX injeksi_batch ON kuota.injeksi USING btree (batch_id);


--
-- Name: jawaban_dimuat_sekali; Type: INDEX; Schema: kuota; Owner: -
--

CREATE UNIQUE INDEX jawaban_dimuat_sekali ON kuota.jawaban USING btree (batch_id) WHERE (hasil = 'dimuat'::text);


--
-- Name: penerima_menunggu; Type: INDEX; Schema: kuota; Owner: -
--

CREATE INDEX penerima_menunggu ON kuota.penerima USING btree (periode, msisdn) WHERE (status = ANY (ARRAY['dikirim_validasi'::text, 'dikirim_injeksi'::text]));


--
-- Name: penerima_status; Type: INDEX; Schema: kuota; Owner: -
--

CREATE INDEX penerima_status ON kuota.penerima USING btree (periode, status, provider);


--
-- Name: permintaan_batch; Type: INDEX; Schema: kuota; Owner: -
--

CREATE INDEX permintaan_batch ON kuota.permintaan USING btree (batch_id);


--
-- Name: permintaan_validasi_terbuka; Type: INDEX; Schema: kuota; Owner: -
--

CREATE UNIQUE INDEX permintaan_validasi_terbuka ON kuota.permintaan USING btree (periode, msisdn) WHERE ((jenis = 'validasi'::text) AND (hasil IS NULL));


--
-- Name: sptjm_penerima_sekali; Type: INDEX; Schema: kuota; Owner: -
--

CREATE UNIQUE INDEX sptjm_penerima_sekali ON kuota.sptjm_penerima USING btree (periode, jenis, id) WHERE (NOT ditolak);


--
-- Name: sekolah_npsn; Type: INDEX; Schema: snapshot; Owner: -
--

CREATE INDEX sekolah_npsn ON snapshot.sekolah USING btree (cutoff_id, npsn);


--
-- Name: batch batch_tetap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER batch_tetap BEFORE UPDATE ON kuota.batch FOR EACH ROW EXECUTE FUNCTION kuota.batch_tetap();


--
-- Name: batch batch_tidak_dihapus; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER batch_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.batch FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: injeksi injeksi_tetap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER injeksi_tetap BEFORE DELETE OR UPDATE ON kuota.injeksi FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: injeksi injeksi_tidak_dikosongkan; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER injeksi_tidak_dikosongkan BEFORE TRUNCATE ON kuota.injeksi FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: penerima penerima_nomor_terkunci; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER penerima_nomor_terkunci BEFORE DELETE OR UPDATE OF msisdn, provider, paket_gb ON kuota.penerima FOR EACH ROW EXECUTE FUNCTION kuota.nomor_terkunci();


--
-- Name: penerima penerima_tidak_dikosongkan; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.penerima FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: permintaan permintaan_jawaban_tetap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER permintaan_jawaban_tetap BEFORE UPDATE ON kuota.permintaan FOR EACH ROW EXECUTE FUNCTION kuota.jawaban_tetap();


--
-- Name: permintaan permintaan_tidak_dihapus; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER permintaan_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.permintaan FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: prefix_provider prefix_provider_no_overlap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER prefix_provider_no_overlap BEFORE INSERT OR UPDATE ON kuota.prefix_provider FOR EACH ROW EXECUTE FUNCTION kuota.prefix_provider_no_overlap();


--
-- Name: sptjm_penerima sptjm_penerima_tetap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER sptjm_penerima_tetap BEFORE UPDATE ON kuota.sptjm_penerima FOR EACH ROW EXECUTE FUNCTION kuota.sptjm_penerima_tetap();


--
-- Name: sptjm_penerima sptjm_penerima_tidak_dihapus; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER sptjm_penerima_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.sptjm_penerima FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: sptjm sptjm_tetap; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER sptjm_tetap BEFORE UPDATE ON kuota.sptjm FOR EACH ROW EXECUTE FUNCTION kuota.sptjm_tetap();


--
-- Name: sptjm sptjm_tidak_dihapus; Type: TRIGGER; Schema: kuota; Owner: -
--

CREATE TRIGGER sptjm_tidak_dihapus BEFORE DELETE OR TRUNCATE ON kuota.sptjm FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff immutable_cutoff; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff BEFORE DELETE OR UPDATE ON snapshot.cutoff FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff_file immutable_cutoff_file; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff_file BEFORE DELETE OR UPDATE ON snapshot.cutoff_file FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff_file immutable_cutoff_file_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff_file_truncate BEFORE TRUNCATE ON snapshot.cutoff_file FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff immutable_cutoff_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff_truncate BEFORE TRUNCATE ON snapshot.cutoff FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff_volume immutable_cutoff_volume; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff_volume BEFORE DELETE OR UPDATE ON snapshot.cutoff_volume FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: cutoff_volume immutable_cutoff_volume_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_cutoff_volume_truncate BEFORE TRUNCATE ON snapshot.cutoff_volume FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: format_tidak_valid immutable_format_tidak_valid; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_format_tidak_valid BEFORE DELETE OR UPDATE ON snapshot.format_tidak_valid FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: format_tidak_valid immutable_format_tidak_valid_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_format_tidak_valid_truncate BEFORE TRUNCATE ON snapshot.format_tidak_valid FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: peserta_didik immutable_peserta_didik; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_peserta_didik BEFORE DELETE OR UPDATE ON snapshot.peserta_didik FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: peserta_didik immutable_peserta_didik_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_peserta_didik_truncate BEFORE TRUNCATE ON snapshot.peserta_didik FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: ptk immutable_ptk; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_ptk BEFORE DELETE OR UPDATE ON snapshot.ptk FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: ptk immutable_ptk_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_ptk_truncate BEFORE TRUNCATE ON snapshot.ptk FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: sekolah immutable_sekolah; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_sekolah BEFORE DELETE OR UPDATE ON snapshot.sekolah FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: sekolah immutable_sekolah_truncate; Type: TRIGGER; Schema: snapshot; Owner: -
--

CREATE TRIGGER immutable_sekolah_truncate BEFORE TRUNCATE ON snapshot.sekolah FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();


--
-- Name: anomali_provider anomali_provider_batch_id_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.anomali_provider
    ADD CONSTRAINT anomali_provider_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES kuota.batch(batch_id);


--
-- Name: batch batch_periode_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.batch
    ADD CONSTRAINT batch_periode_fkey FOREIGN KEY (periode) REFERENCES kuota.periode(periode);


--
-- Name: berkas_portal berkas_portal_periode_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.berkas_portal
    ADD CONSTRAINT berkas_portal_periode_fkey FOREIGN KEY (periode) REFERENCES kuota.periode(periode);


--
-- Name: injeksi injeksi_batch_id_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES kuota.batch(batch_id);


--
-- Name: injeksi injeksi_batch_provider; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_batch_provider FOREIGN KEY (batch_id, provider) REFERENCES kuota.batch(batch_id, provider);


--
-- Name: injeksi injeksi_dikirim; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_dikirim FOREIGN KEY (request_id) REFERENCES kuota.permintaan(request_id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: injeksi injeksi_sptjm_no_keputusan_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_sptjm_no_keputusan_fkey FOREIGN KEY (sptjm_no, keputusan) REFERENCES kuota.sptjm(sptjm_no, keputusan);


--
-- Name: injeksi injeksi_sptjm_no_periode_jenis_id_msisdn_provider_paket_gb_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.injeksi
    ADD CONSTRAINT injeksi_sptjm_no_periode_jenis_id_msisdn_provider_paket_gb_fkey FOREIGN KEY (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb) REFERENCES kuota.sptjm_penerima(sptjm_no, periode, jenis, id, msisdn, provider, paket_gb);


--
-- Name: jawaban jawaban_batch_id_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.jawaban
    ADD CONSTRAINT jawaban_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES kuota.batch(batch_id);


--
-- Name: periode periode_cutoff_id_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.periode
    ADD CONSTRAINT periode_cutoff_id_fkey FOREIGN KEY (cutoff_id) REFERENCES snapshot.cutoff(cutoff_id);


--
-- Name: periode_kebijakan periode_kebijakan_periode_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.periode_kebijakan
    ADD CONSTRAINT periode_kebijakan_periode_fkey FOREIGN KEY (periode) REFERENCES kuota.periode(periode);


--
-- Name: permintaan permintaan_batch_id_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.permintaan
    ADD CONSTRAINT permintaan_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES kuota.batch(batch_id);


--
-- Name: permintaan permintaan_injeksi_di_ledger; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.permintaan
    ADD CONSTRAINT permintaan_injeksi_di_ledger FOREIGN KEY (request_id, msisdn, paket_gb) REFERENCES kuota.injeksi(request_id, msisdn, paket_gb);


--
-- Name: sptjm_penerima sptjm_penerima_sptjm_no_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm_penerima
    ADD CONSTRAINT sptjm_penerima_sptjm_no_fkey FOREIGN KEY (sptjm_no) REFERENCES kuota.sptjm(sptjm_no);


--
-- Name: sptjm sptjm_periode_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.sptjm
    ADD CONSTRAINT sptjm_periode_fkey FOREIGN KEY (periode) REFERENCES kuota.periode(periode);


--
-- Name: tahap tahap_periode_fkey; Type: FK CONSTRAINT; Schema: kuota; Owner: -
--

ALTER TABLE ONLY kuota.tahap
    ADD CONSTRAINT tahap_periode_fkey FOREIGN KEY (periode) REFERENCES kuota.periode(periode);


--
-- Name: cutoff_file cutoff_file_cutoff_id_fkey; Type: FK CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff_file
    ADD CONSTRAINT cutoff_file_cutoff_id_fkey FOREIGN KEY (cutoff_id) REFERENCES snapshot.cutoff(cutoff_id);


--
-- Name: cutoff_volume cutoff_volume_cutoff_id_fkey; Type: FK CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.cutoff_volume
    ADD CONSTRAINT cutoff_volume_cutoff_id_fkey FOREIGN KEY (cutoff_id) REFERENCES snapshot.cutoff(cutoff_id);


--
-- Name: format_tidak_valid format_tidak_valid_cutoff_id_fkey; Type: FK CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.format_tidak_valid
    ADD CONSTRAINT format_tidak_valid_cutoff_id_fkey FOREIGN KEY (cutoff_id) REFERENCES snapshot.cutoff(cutoff_id);


--
-- Name: sekolah sekolah_cutoff_id_fkey; Type: FK CONSTRAINT; Schema: snapshot; Owner: -
--

ALTER TABLE ONLY snapshot.sekolah
    ADD CONSTRAINT sekolah_cutoff_id_fkey FOREIGN KEY (cutoff_id) REFERENCES snapshot.cutoff(cutoff_id);


--
-- PostgreSQL database dump complete
--


