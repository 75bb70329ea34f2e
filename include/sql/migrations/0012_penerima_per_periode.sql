-- The recipients a partition per period (kuota.penerima partitioned by periode), updated in
-- place.
--
-- The screening writes a period's recipients into a table of their own with no index, then
-- builds its indexes in one sorted pass each and attaches it (bulanan/screening/
-- 04_screen_penerima.sql): inserting 50 million rows into a table whose indexes are kept row
-- by row cost more than the insert itself (docs/benchmarks.md).
--
-- A recipient then changes state up to six times in a month (siap_validasi, dikirim_validasi,
-- valid, sptjm_dicetak, ...). Each change was a new row version with a new entry in every
-- index (the primary key's upkeep alone 80 % of the update). No index now holds the state
-- (status, alasan, tahap, diubah_at), nor does any index's WHERE, and each partition keeps half
-- of every page free (fillfactor 50), so a change of state is a heap-only (HOT) update: the
-- new version in the same page, no index touched. Where a step needs a state, it reads the
-- period's partition (a scan) or probes by number or school and filters. Indexes:
--   the primary key (periode, jenis, id): the ledger, the SPTJMs and corrections by record;
--   penerima_nomor (periode, msisdn): an answer's recipients, by number;
--   penerima_sekolah (periode, kode_provinsi, npsn): a province's residu files, school by school.
-- The constraints, the triggers and the indexes are the parent's, so every partition has them;
-- a row of a period never screened has no partition to go to, and only the screening makes one.
--
-- A warehouse made before moves its recipients, a period at a time, into partitions of the
-- same shape (a one-time copy); the views over the table are kept as they were defined. Like
-- the files before it, this one may be applied again (a warehouse that lost its version
-- table): a table already partitioned is left as it is.

-- A period's new partition, empty, not yet attached (its name, as SQL, returned): the
-- screening fills it, then attaches it (kuota.penerima_pasang), which builds the parent's
-- indexes on it. The periode is checked (YYYY-MM) before it names a table; the CHECK spares the
-- attach a scan of the rows; half of each page stays free for its rows' next state (above).
-- Both may run again for a period whose screening committed no row (a cutoff with no record:
-- the re-run finds it "not screened"): its partition is kept, filled through the parent.
CREATE OR REPLACE FUNCTION kuota.penerima_partisi(p text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE nama text := 'penerima_' || replace(p, '-', '_');
BEGIN
  IF p !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
    RAISE EXCEPTION 'periode % is not YYYY-MM: no partition of kuota.penerima is made for it', p
      USING ERRCODE = 'check_violation';
  END IF;
  IF to_regclass(format('kuota.%I', nama)) IS NULL THEN
    EXECUTE format('CREATE TABLE kuota.%I (LIKE kuota.penerima INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CONSTRAINT %I CHECK (periode = %L)) WITH (fillfactor = 50)', nama, nama || '_periode', p);
    EXECUTE format('CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change()', nama);
  END IF;
  RETURN format('kuota.%I', nama);
END $$;

CREATE OR REPLACE FUNCTION kuota.penerima_pasang(p text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE nama text := 'penerima_' || replace(p, '-', '_');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits
                 WHERE inhrelid = format('kuota.%I', nama)::regclass AND inhparent = 'kuota.penerima'::regclass) THEN
    EXECUTE format('ALTER TABLE kuota.penerima ATTACH PARTITION kuota.%I FOR VALUES IN (%L)', nama, p);
  END IF;
END $$;

DO $$
DECLARE
  v record;
  p text;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'kuota.penerima'::regclass) = 'p' THEN
    RETURN;  -- partitioned already
  END IF;

  -- The views over kuota.penerima, as defined now, in the order they were made.
  CREATE TEMP TABLE penerima_view ON COMMIT DROP AS
  WITH RECURSIVE dep(oid, depth) AS (
    SELECT DISTINCT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.refobjid = 'kuota.penerima'::regclass AND r.ev_class <> 'kuota.penerima'::regclass
    UNION ALL
    SELECT DISTINCT r.ev_class, dep.depth + 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    JOIN dep ON d.refobjid = dep.oid WHERE r.ev_class <> dep.oid
  )
  SELECT c.oid::regclass::text AS nama, pg_get_viewdef(c.oid) AS isi, max(dep.depth) AS depth
  FROM dep JOIN pg_class c ON c.oid = dep.oid
  GROUP BY c.oid;
  FOR v IN SELECT nama FROM penerima_view ORDER BY depth DESC LOOP
    EXECUTE format('DROP VIEW %s', v.nama);
  END LOOP;

  ALTER TABLE kuota.penerima RENAME TO penerima_lama;
  ALTER INDEX kuota.penerima_pkey RENAME TO penerima_lama_pkey;
  DROP INDEX kuota.penerima_status, kuota.penerima_menunggu, kuota.penerima_residu_provinsi;

  CREATE TABLE kuota.penerima (
      LIKE kuota.penerima_lama INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS,
      PRIMARY KEY (periode, jenis, id)
  ) PARTITION BY LIST (periode);
  CREATE INDEX penerima_nomor ON kuota.penerima (periode, msisdn);
  CREATE INDEX penerima_sekolah ON kuota.penerima (periode, kode_provinsi, npsn);
  -- Cloned onto every partition (a row trigger of a partitioned table is each partition's).
  CREATE TRIGGER penerima_nomor_terkunci BEFORE UPDATE OF msisdn, provider, paket_gb OR DELETE
    ON kuota.penerima FOR EACH ROW EXECUTE FUNCTION kuota.nomor_terkunci();
  -- A statement trigger is not cloned: kuota.penerima_partisi gives each partition its own.
  CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.penerima
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();

  -- The recipients already screened, a period at a time, in key order.
  FOR p IN SELECT DISTINCT periode FROM kuota.penerima_lama ORDER BY 1 LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM kuota.penerima_lama WHERE periode = %L ORDER BY jenis, id',
                   kuota.penerima_partisi(p), p);
    PERFORM kuota.penerima_pasang(p);
  END LOOP;
  DROP TABLE kuota.penerima_lama;
  ANALYZE kuota.penerima;

  FOR v IN SELECT nama, isi FROM penerima_view ORDER BY depth LOOP
    EXECUTE format('CREATE VIEW %s AS %s', v.nama, v.isi);
  END LOOP;
END $$;
