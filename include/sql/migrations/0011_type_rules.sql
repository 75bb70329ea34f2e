-- The load's type rules, cheaper and the same: snapshot.is_uuid and snapshot.is_date run on
-- every staged row (two ids and one or two dates a pupil), and their anchored regular
-- expressions were most of the type check's CPU (docs/benchmarks.md, "The load's type rules").
-- A LIKE pins the length and where the dashes stand, a negated character class (one scan, no
-- backtracking) admits only hex digits or dashes, and the count of dashes rules out any other.
-- Same answer for every text and for NULL (tests/test_snapshot.py compares both forms).
CREATE OR REPLACE FUNCTION snapshot.is_uuid(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v LIKE '________-____-____-____-____________'
     AND v !~ '[^-0-9a-fA-F]'
     AND length(replace(v, '-', '')) = 32
$$;

-- The month's and the day's first digits need no rule of their own: the ranges checked after
-- them (1-12, 1 to the month's days) hold only where they are 0-1 and 0-3.
CREATE OR REPLACE FUNCTION snapshot.is_date(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v LIKE '____-__-__' AND left(v, 1) IN ('1', '2') AND v !~ '[^-0-9]'
                   AND length(replace(v, '-', '')) = 8  -- CASE: no cast before the digits are known
    THEN substr(v, 6, 2)::int BETWEEN 1 AND 12
     AND substr(v, 9, 2)::int BETWEEN 1 AND snapshot.days_in_month(substr(v, 1, 4)::int, substr(v, 6, 2)::int)
    ELSE false END
$$;
