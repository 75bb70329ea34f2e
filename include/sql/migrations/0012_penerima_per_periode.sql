-- The recipients a partition per period (kuota.penerima partitioned by periode): the screening
-- writes a period's recipients into a table of their own with no index, then builds its
-- indexes in one sorted pass each and attaches it (bulanan/screening/04_screen_penerima.sql).
-- Inserting 50 million rows into a table whose four indexes are kept row by row cost more
-- than the insert itself (docs/benchmarks.md). The constraints, the triggers and the indexes
-- are the parent's, so every partition has them: a row of a period never screened has no
-- partition to go to, and only the screening makes one.
--
-- A warehouse made before moves its recipients, a period at a time, into partitions of the
-- same shape (a one-time copy); the views over the table are kept as they were defined.

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

DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT nama FROM penerima_view ORDER BY depth DESC LOOP
    EXECUTE format('DROP VIEW %s', v.nama);
  END LOOP;
END $$;

ALTER TABLE kuota.penerima RENAME TO penerima_lama;
ALTER INDEX kuota.penerima_pkey RENAME TO penerima_lama_pkey;
ALTER INDEX kuota.penerima_status RENAME TO penerima_lama_status;
ALTER INDEX kuota.penerima_menunggu RENAME TO penerima_lama_menunggu;
ALTER INDEX kuota.penerima_residu_provinsi RENAME TO penerima_lama_residu_provinsi;

CREATE TABLE kuota.penerima (
    LIKE kuota.penerima_lama INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS,
    PRIMARY KEY (periode, jenis, id)
) PARTITION BY LIST (periode);
CREATE INDEX penerima_status ON kuota.penerima (periode, status, provider);
CREATE INDEX penerima_menunggu ON kuota.penerima (periode, msisdn)
    WHERE status IN ('dikirim_validasi', 'dikirim_injeksi');
CREATE INDEX penerima_residu_provinsi ON kuota.penerima (periode, kode_provinsi, npsn) WHERE status = 'residu';
-- Cloned onto every partition (a row trigger of a partitioned table is each partition's).
CREATE TRIGGER penerima_nomor_terkunci BEFORE UPDATE OF msisdn, provider, paket_gb OR DELETE
  ON kuota.penerima FOR EACH ROW EXECUTE FUNCTION kuota.nomor_terkunci();
-- A statement trigger is not cloned: kuota.penerima_partisi gives each partition its own.
CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.penerima
  FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change();

-- A period's new partition, empty, not yet attached (its name, as SQL, returned): the screening
-- fills it, then attaches it (kuota.penerima_pasang), which builds the parent's indexes on it. The periode is checked
-- (YYYY-MM) before it names a table; the CHECK spares the attach a scan of the rows.
CREATE FUNCTION kuota.penerima_partisi(p text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE nama text := 'penerima_' || replace(p, '-', '_');
BEGIN
  IF p !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
    RAISE EXCEPTION 'periode % is not YYYY-MM: no partition of kuota.penerima is made for it', p
      USING ERRCODE = 'check_violation';
  END IF;
  EXECUTE format('CREATE TABLE kuota.%I (LIKE kuota.penerima INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                 'CONSTRAINT %I CHECK (periode = %L))', nama, nama || '_periode', p);
  EXECUTE format('CREATE TRIGGER penerima_tidak_dikosongkan BEFORE TRUNCATE ON kuota.%I '
                 'FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change()', nama);
  RETURN format('kuota.%I', nama);
END $$;

CREATE FUNCTION kuota.penerima_pasang(p text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE kuota.penerima ATTACH PARTITION kuota.%I FOR VALUES IN (%L)',
                 'penerima_' || replace(p, '-', '_'), p);
END $$;

-- The recipients already screened, a period at a time, in key order.
DO $$
DECLARE p text;
BEGIN
  FOR p IN SELECT DISTINCT periode FROM kuota.penerima_lama ORDER BY 1 LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM kuota.penerima_lama WHERE periode = %L ORDER BY jenis, id',
                   kuota.penerima_partisi(p), p);
    PERFORM kuota.penerima_pasang(p);
  END LOOP;
END $$;
DROP TABLE kuota.penerima_lama;

DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT nama, isi FROM penerima_view ORDER BY depth LOOP
    EXECUTE format('CREATE VIEW %s AS %s', v.nama, v.isi);
  END LOOP;
END $$;
