-- The load's date rule without a regular expression or a cast: snapshot.is_date runs on one or
-- two dates of every staged pupil, and after 0011 it was still the type check's largest part
-- (the digits' character class, then six substrings cast to int to find the day's range).
-- A date YYYY-MM-DD of years 1000-2999 is now four characters that are one of the 2,000 years
-- and six that are one of the 366 "-MM-DD" of a leap year, both looked up in a hashed list; a
-- 29 February then asks whether its year is a leap year. Same answer for every text and for NULL
-- (tests/test_snapshot.py compares it with 0001's anchored expression).
DO $do$
DECLARE
  years text;
  days text;
BEGIN
  SELECT string_agg(quote_literal(y::text), ',' ORDER BY y) INTO years FROM generate_series(1000, 2999) y;
  SELECT string_agg(quote_literal(to_char(d, '-MM-DD')), ',' ORDER BY d) INTO days
  FROM generate_series(date '2000-01-01', date '2000-12-31', interval '1 day') d;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION snapshot.is_date(v text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
      SELECT coalesce(octet_length(v) = 10
         AND substr(v, 1, 4) IN (%s)
         AND substr(v, 5, 6) IN (%s)
         AND (substr(v, 5, 6) <> '-02-29'
              OR (substr(v, 1, 4)::int %% 4 = 0 AND (substr(v, 1, 4)::int %% 100 <> 0 OR substr(v, 1, 4)::int %% 400 = 0))),
         false)
    $body$ $f$, years, days);
END $do$;
