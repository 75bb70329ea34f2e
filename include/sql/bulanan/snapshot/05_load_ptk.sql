-- Step: type-check the staged ptk.csv (snapshot.staging_ptk: unlogged, made and dropped by
-- this transaction) and publish it into the immutable snapshot. Rows that break a rule go to
-- format_tidak_valid; the rows loaded are counted per province of their school
-- (snapshot.cutoff_volume).
-- Needs the cutoff's sekolah loaded first.  Params: cutoff_id, file_name, sha256,
-- manifest_rows, bagian (the cutoff's partition, from snapshot.bagian_cutoff).
-- Fresh statistics for the staged rows (a new table has none); no JIT: its compile time is
-- pure loss on this one-pass scan; no merge join: the schools' text key is misestimated, and
-- a merge join sorts the staged rows where a hash of the schools does not. The checks run in
-- parallel workers (an unlogged table, not a temp one, so that they can read it).
ANALYZE snapshot.staging_ptk;
SET LOCAL jit = off;
SET LOCAL enable_mergejoin = off;

-- Ids seen more than once, with their first line: a hash aggregate, not a sort of every row.
CREATE UNLOGGED TABLE snapshot.repeated_ptk AS
SELECT lower(ptk_id) AS id_lower, min(baris) AS first_line
FROM snapshot.staging_ptk GROUP BY 1 HAVING count(*) > 1;
ANALYZE snapshot.repeated_ptk;

-- The rows that break a rule, each with every rule it breaks (as for the pupils: only they
-- are written).
CREATE UNLOGGED TABLE snapshot.invalid_ptk AS
SELECT * FROM (
  SELECT r.baris, r.ptk_id, r.sekolah_id,
    CASE WHEN r.ncol <> 14 THEN 'row has ' || r.ncol || ' fields, the contract has 14'
    ELSE concat_ws('; ',
      CASE WHEN NOT snapshot.is_uuid(r.ptk_id) THEN 'ptk_id: not a uuid'
           WHEN d.first_line < r.baris THEN 'ptk_id: duplicate of line ' || d.first_line END,
      CASE WHEN r.jenis_kelamin NOT IN ('L','P') THEN 'jenis_kelamin: not L/P' END,
      CASE WHEN NOT snapshot.is_date(r.tanggal_lahir) THEN 'tanggal_lahir: not a date YYYY-MM-DD' END,
      CASE WHEN r.jenis_ptk NOT IN ('guru','kepala_sekolah','tenaga_administrasi','operator','lainnya') THEN 'jenis_ptk: not in guru,kepala_sekolah,tenaga_administrasi,operator,lainnya' END,
      -- A school found is a uuid already (its canonical text, 36 ASCII characters): the rule
      -- is asked only of the ids that found none.
      CASE WHEN s.sekolah_id IS NOT NULL AND octet_length(r.sekolah_id) = 36 THEN NULL
           WHEN NOT snapshot.is_uuid(r.sekolah_id) THEN 'sekolah_id: not a uuid'
           ELSE 'sekolah_id: not in sekolah' END,
      CASE WHEN r.ptk_induk NOT IN ('true','false') THEN 'ptk_induk: not true/false' END,
      CASE WHEN r.status NOT IN ('aktif','keluar') THEN 'status: not aktif/keluar' END,
      CASE WHEN r.jenis_keluar NOT IN ('','pensiun','mengundurkan_diri','diberhentikan','meninggal','mutasi') THEN 'jenis_keluar: not in pensiun,mengundurkan_diri,diberhentikan,meninggal,mutasi' END,
      CASE WHEN r.kepemilikan_hp NOT IN ('','sendiri','orang_tua','wali','saudara','lainnya') THEN 'kepemilikan_hp: not in sendiri,orang_tua,wali,saudara,lainnya' END)
    END AS pelanggaran
  FROM snapshot.staging_ptk r
  LEFT JOIN (SELECT sekolah_id::text AS sekolah_id
             FROM snapshot.sekolah WHERE cutoff_id = %(cutoff_id)s) s
         ON s.sekolah_id = lower(r.sekolah_id)
  LEFT JOIN snapshot.repeated_ptk d ON d.id_lower = lower(r.ptk_id)
) checked WHERE pelanggaran <> '';
ANALYZE snapshot.invalid_ptk;

INSERT INTO snapshot.format_tidak_valid (cutoff_id, tabel, baris, id_rekaman, pelanggaran, sekolah_id)
SELECT %(cutoff_id)s, 'ptk', baris,
       CASE WHEN snapshot.is_uuid(ptk_id) THEN ptk_id::uuid END, pelanggaran,
       CASE WHEN snapshot.is_uuid(sekolah_id) THEN sekolah_id::uuid END
FROM snapshot.invalid_ptk;

-- Into the cutoff's own partition, made empty and without an index (%(bagian)s, from
-- snapshot.bagian_cutoff), in the order the rows were checked; attaching it builds the primary
-- key in one sorted pass over the keys (migration 0014).
INSERT INTO %(bagian)s (cutoff_id, baris, ptk_id, nuptk, nik, nama, jenis_kelamin,
       tanggal_lahir, nama_ibu_kandung, jenis_ptk, sekolah_id, ptk_induk, status,
       jenis_keluar, nomor_hp, kepemilikan_hp)
SELECT %(cutoff_id)s, baris, ptk_id::uuid, nuptk, nik, nama, jenis_kelamin,
       tanggal_lahir::date, nama_ibu_kandung, jenis_ptk, sekolah_id::uuid, ptk_induk::boolean,
       status, NULLIF(jenis_keluar, ''), nomor_hp, NULLIF(kepemilikan_hp, '')
FROM snapshot.staging_ptk r
WHERE NOT EXISTS (SELECT FROM snapshot.invalid_ptk i WHERE i.baris = r.baris);
SELECT snapshot.pasang_cutoff('ptk', %(cutoff_id)s);
ANALYZE %(bagian)s;  -- the screening reads it next

-- The file's row, and the rows loaded per province of their school (the volume check's
-- counts), from the partition just written.
WITH per_provinsi AS (
    SELECT s.kode_provinsi::text AS kode_provinsi, count(*) AS dimuat
    FROM %(bagian)s p
    JOIN snapshot.sekolah s ON s.cutoff_id = %(cutoff_id)s AND s.sekolah_id = p.sekolah_id
    GROUP BY 1
), volume AS (
    INSERT INTO snapshot.cutoff_volume (cutoff_id, tabel, kode_provinsi, baris)
    SELECT %(cutoff_id)s, 'ptk', kode_provinsi, dimuat FROM per_provinsi
)
INSERT INTO snapshot.cutoff_file (cutoff_id, tabel, file_name, sha256, manifest_rows,
                                  loaded_rows, invalid_rows, seconds)
SELECT %(cutoff_id)s, 'ptk', %(file_name)s, %(sha256)s, %(manifest_rows)s,
       (SELECT coalesce(sum(dimuat), 0) FROM per_provinsi),
       (SELECT count(*) FROM snapshot.invalid_ptk),
       round(extract(epoch FROM clock_timestamp() - now()), 3);  -- the whole load transaction

DROP TABLE snapshot.invalid_ptk, snapshot.repeated_ptk, snapshot.staging_ptk;
