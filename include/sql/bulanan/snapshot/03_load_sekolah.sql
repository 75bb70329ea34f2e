-- Step: type-check the staged sekolah.csv (snapshot.staging_sekolah: unlogged, made and
-- dropped by this transaction) and publish it into the immutable snapshot. Rows that break a
-- rule go to format_tidak_valid, with their line; the rows loaded are counted per province
-- (snapshot.cutoff_volume, the volume check's).
-- Params: cutoff_id, file_name, sha256, manifest_rows.
-- Fresh statistics for the staged rows (a new table has none); no JIT: its compile time is
-- pure loss on this one-pass scan. Schools are few (some 440,000): sorting them is cheap.
ANALYZE snapshot.staging_sekolah;
SET LOCAL jit = off;

CREATE UNLOGGED TABLE snapshot.checked_sekolah AS
SELECT r.*,
  CASE WHEN r.ncol <> 7 THEN 'row has ' || r.ncol || ' fields, the contract has 7'
  ELSE concat_ws('; ',
    CASE WHEN NOT snapshot.is_uuid(r.sekolah_id) THEN 'sekolah_id: not a uuid'
         WHEN row_number() OVER w_id > 1 THEN 'sekolah_id: duplicate of line ' || first_value(r.baris) OVER w_id END,
    CASE WHEN r.npsn !~ '^[0-9]{8}$' THEN 'npsn: not 8 digits'
         WHEN row_number() OVER w_npsn > 1 THEN 'npsn: duplicate of line ' || first_value(r.baris) OVER w_npsn END,
    CASE WHEN r.bentuk_pendidikan NOT IN ('TK','KB','SD','SMP','SMA','SMK','SLB','PKBM') THEN 'bentuk_pendidikan: not in TK,KB,SD,SMP,SMA,SMK,SLB,PKBM' END,
    CASE WHEN r.status NOT IN ('aktif','tutup') THEN 'status: not aktif/tutup' END,
    CASE WHEN r.kode_provinsi !~ '^[0-9]{2}$' THEN 'kode_provinsi: not 2 digits' END,
    CASE WHEN r.kode_kabupaten !~ '^[0-9]{4}$' THEN 'kode_kabupaten: not 4 digits'
         WHEN left(r.kode_kabupaten, 2) <> r.kode_provinsi THEN 'kode_kabupaten: not in kode_provinsi' END)
  END AS pelanggaran
FROM snapshot.staging_sekolah r
WINDOW w_id AS (PARTITION BY lower(r.sekolah_id) ORDER BY r.baris),
       w_npsn AS (PARTITION BY r.npsn ORDER BY r.baris);

INSERT INTO snapshot.format_tidak_valid (cutoff_id, tabel, baris, id_rekaman, pelanggaran, sekolah_id)
SELECT %(cutoff_id)s, 'sekolah', baris,
       CASE WHEN snapshot.is_uuid(sekolah_id) THEN sekolah_id::uuid END, pelanggaran,
       CASE WHEN snapshot.is_uuid(sekolah_id) THEN sekolah_id::uuid END
FROM snapshot.checked_sekolah WHERE pelanggaran <> '';

INSERT INTO snapshot.sekolah (cutoff_id, baris, sekolah_id, npsn, nama, bentuk_pendidikan,
                              status, kode_provinsi, kode_kabupaten)
SELECT %(cutoff_id)s, baris, sekolah_id::uuid, npsn, nama, bentuk_pendidikan,
       status, kode_provinsi, kode_kabupaten
FROM snapshot.checked_sekolah WHERE pelanggaran = '';

-- The file's row, and the rows loaded per province (the volume check's counts), from one
-- pass over the checked rows.
WITH per_provinsi AS (
    SELECT kode_provinsi AS kode_provinsi,
           count(*) FILTER (WHERE pelanggaran = '') AS dimuat,
           count(*) FILTER (WHERE pelanggaran <> '') AS tidak_valid
    FROM snapshot.checked_sekolah GROUP BY 1
), volume AS (
    INSERT INTO snapshot.cutoff_volume (cutoff_id, tabel, kode_provinsi, baris)
    SELECT %(cutoff_id)s, 'sekolah', kode_provinsi, dimuat FROM per_provinsi WHERE dimuat > 0
)
INSERT INTO snapshot.cutoff_file (cutoff_id, tabel, file_name, sha256, manifest_rows,
                                  loaded_rows, invalid_rows, seconds)
SELECT %(cutoff_id)s, 'sekolah', %(file_name)s, %(sha256)s, %(manifest_rows)s,
       coalesce(sum(dimuat), 0), coalesce(sum(tidak_valid), 0),
       round(extract(epoch FROM clock_timestamp() - now()), 3)  -- the whole load transaction
FROM per_provinsi;

DROP TABLE snapshot.checked_sekolah, snapshot.staging_sekolah;
