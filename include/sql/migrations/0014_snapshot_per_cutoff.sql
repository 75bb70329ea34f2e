-- A cutoff's pupils and PTK a partition of their own (snapshot.peserta_didik and snapshot.ptk
-- partitioned by cutoff_id).
--
-- The load inserted a cutoff's rows into one table whose primary key took each row as it
-- came; to keep that key from being written at random it sorted every row, all its columns,
-- by the key first: at 45 million pupils a sort of the whole file on disk, then the key grown
-- row by row. Now it inserts the checked rows into the cutoff's own table, with no index, in
-- the order they were checked, and attaches it, which builds the primary key in one sorted
-- pass over the keys alone (bulanan/snapshot/04_load_peserta_didik.sql, docs/benchmarks.md).
--
-- A snapshot stays immutable: the row trigger that refuses an UPDATE or a DELETE is the
-- parent's, so every partition has it; the guard against TRUNCATE, a statement trigger, is
-- given to each partition; and only the load makes one. A row of a cutoff never loaded has
-- no partition to go to.
--
-- A warehouse made before moves its rows, a cutoff at a time, into partitions of the same
-- shape (a one-time copy); the views over the tables are kept as they were defined. Like the
-- files before it, this one may be applied again: a table already partitioned is left as it is.

-- A cutoff's new partition of a table, empty, not yet attached (its name, as SQL, returned).
-- The CHECK spares the attach a scan of the rows. Both functions may run again for a table the
-- load left with no row committed: the partition is kept.
CREATE OR REPLACE FUNCTION snapshot.bagian_cutoff(tabel text, cutoff bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE nama text := tabel || '_' || cutoff;
BEGIN
  IF tabel NOT IN ('peserta_didik', 'ptk') THEN
    RAISE EXCEPTION 'snapshot.% is not kept a partition per cutoff (only peserta_didik and ptk are)', tabel
      USING ERRCODE = 'check_violation';
  END IF;
  IF to_regclass(format('snapshot.%I', nama)) IS NULL THEN
    EXECUTE format('CREATE TABLE snapshot.%I (LIKE snapshot.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CONSTRAINT %I CHECK (cutoff_id = %s))', nama, tabel, nama || '_cutoff', cutoff);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON snapshot.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change()', 'immutable_' || tabel || '_truncate', nama);
  END IF;
  RETURN format('snapshot.%I', nama);
END $$;

CREATE OR REPLACE FUNCTION snapshot.pasang_cutoff(tabel text, cutoff bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE nama text := tabel || '_' || cutoff;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits
                 WHERE inhrelid = format('snapshot.%I', nama)::regclass
                   AND inhparent = format('snapshot.%I', tabel)::regclass) THEN
    EXECUTE format('ALTER TABLE snapshot.%I ATTACH PARTITION snapshot.%I FOR VALUES IN (%s)', tabel, nama, cutoff);
  END IF;
END $$;

DO $do$
DECLARE
  t text;
  kunci text;
  v record;
  cid bigint;
BEGIN
  FOREACH t IN ARRAY ARRAY['peserta_didik', 'ptk'] LOOP
    CONTINUE WHEN (SELECT relkind FROM pg_class WHERE oid = format('snapshot.%I', t)::regclass) = 'p';
    kunci := CASE t WHEN 'peserta_didik' THEN 'peserta_didik_id' ELSE 'ptk_id' END;

    -- The views over the table (and over those views), as defined now, deepest dropped first.
    DROP TABLE IF EXISTS pg_temp.view_atas;
    CREATE TEMP TABLE view_atas ON COMMIT DROP AS
    WITH RECURSIVE dep(oid, depth) AS (
      SELECT DISTINCT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      WHERE d.refobjid = format('snapshot.%I', t)::regclass AND r.ev_class <> d.refobjid
      UNION ALL
      SELECT DISTINCT r.ev_class, dep.depth + 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      JOIN dep ON d.refobjid = dep.oid WHERE r.ev_class <> dep.oid
    )
    SELECT c.oid::regclass::text AS nama, pg_get_viewdef(c.oid) AS isi, max(dep.depth) AS depth
    FROM dep JOIN pg_class c ON c.oid = dep.oid
    GROUP BY c.oid;
    FOR v IN SELECT nama FROM view_atas ORDER BY depth DESC LOOP
      EXECUTE format('DROP VIEW %s', v.nama);
    END LOOP;

    EXECUTE format('ALTER TABLE snapshot.%I RENAME TO %I', t, t || '_lama');
    EXECUTE format('ALTER INDEX snapshot.%I RENAME TO %I', t || '_pkey', t || '_lama_pkey');
    EXECUTE format('CREATE TABLE snapshot.%I (LIKE snapshot.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'PRIMARY KEY (cutoff_id, %I)) PARTITION BY LIST (cutoff_id)', t, t || '_lama', kunci);
    -- Cloned onto every partition; the TRUNCATE guard, a statement trigger, is not (above).
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON snapshot.%I '
                   'FOR EACH ROW EXECUTE FUNCTION snapshot.refuse_change()', 'immutable_' || t, t);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON snapshot.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION snapshot.refuse_change()', 'immutable_' || t || '_truncate', t);

    FOR cid IN EXECUTE format('SELECT DISTINCT cutoff_id FROM snapshot.%I ORDER BY 1', t || '_lama') LOOP
      EXECUTE format('INSERT INTO %s SELECT * FROM snapshot.%I WHERE cutoff_id = %s',
                     snapshot.bagian_cutoff(t, cid), t || '_lama', cid);
      PERFORM snapshot.pasang_cutoff(t, cid);
    END LOOP;
    EXECUTE format('DROP TABLE snapshot.%I', t || '_lama');
    EXECUTE format('ANALYZE snapshot.%I', t);

    FOR v IN SELECT nama, isi FROM view_atas ORDER BY depth LOOP
      EXECUTE format('CREATE VIEW %s AS %s', v.nama, v.isi);
    END LOOP;
  END LOOP;
END $do$;
