-- A cutoff's normalized numbers a partition of their own (kuota.nomor_cutoff partitioned by
-- cutoff_id), as the snapshot's pupils and PTK are (0014).
--
-- The numbers were inserted into one table whose primary key took each row as it came; to keep
-- that key from being written at random the insert sorted every row by the key first. While the
-- pupils were stored in key order PostgreSQL read them already sorted; since 0014 they are stored
-- in the order of the file, and at 47 million numbers the sort spilled and took half the step
-- (docs/benchmarks.md, the fourth national run). Now the numbers go unsorted into the cutoff's own
-- table, with no index, and attaching it builds the primary key in one sorted pass over the keys
-- alone (bulanan/screening/02_normalize_nomor.sql).
--
-- A warehouse made before moves its rows, a cutoff at a time, into partitions of the same shape
-- (a one-time copy; no view or key refers to the table). Like the files before it, this one may
-- be applied again: a table already partitioned is left as it is.

-- A cutoff's new partition, empty, not yet attached (its name, as SQL, returned). The CHECK
-- spares the attach a scan of the rows. Both functions may run again: the partition is kept.
CREATE OR REPLACE FUNCTION kuota.nomor_bagian(cutoff bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE nama text := 'nomor_cutoff_' || cutoff;
BEGIN
  IF to_regclass(format('kuota.%I', nama)) IS NULL THEN
    EXECUTE format('CREATE TABLE kuota.%I (LIKE kuota.nomor_cutoff INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CONSTRAINT %I CHECK (cutoff_id = %s))', nama, nama || '_cutoff', cutoff);
  END IF;
  RETURN format('kuota.%I', nama);
END $$;

-- Whether the cutoff's numbers are in (its partition attached): the step is then done.
CREATE OR REPLACE FUNCTION kuota.nomor_terpasang(cutoff bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_inherits
                 WHERE inhrelid = to_regclass(format('kuota.%I', 'nomor_cutoff_' || cutoff))
                   AND inhparent = 'kuota.nomor_cutoff'::regclass)
$$;

CREATE OR REPLACE FUNCTION kuota.nomor_pasang(cutoff bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT kuota.nomor_terpasang(cutoff) THEN
    EXECUTE format('ALTER TABLE kuota.nomor_cutoff ATTACH PARTITION kuota.%I FOR VALUES IN (%s)',
                   'nomor_cutoff_' || cutoff, cutoff);
  END IF;
END $$;

DO $do$
DECLARE cid bigint;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'kuota.nomor_cutoff'::regclass) = 'p' THEN
    RETURN;
  END IF;
  ALTER TABLE kuota.nomor_cutoff RENAME TO nomor_cutoff_lama;
  ALTER INDEX kuota.nomor_cutoff_pkey RENAME TO nomor_cutoff_lama_pkey;
  CREATE TABLE kuota.nomor_cutoff (LIKE kuota.nomor_cutoff_lama INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                                   PRIMARY KEY (cutoff_id, jenis, id)) PARTITION BY LIST (cutoff_id);
  FOR cid IN SELECT DISTINCT cutoff_id FROM kuota.nomor_cutoff_lama ORDER BY 1 LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM kuota.nomor_cutoff_lama WHERE cutoff_id = %s',
                   kuota.nomor_bagian(cid), cid);
    PERFORM kuota.nomor_pasang(cid);
  END LOOP;
  DROP TABLE kuota.nomor_cutoff_lama;
  ANALYZE kuota.nomor_cutoff;
END $do$;
