-- Step: type-check the staged peserta_didik.csv (snapshot.staging_peserta_didik: unlogged,
-- made and dropped by this transaction) and publish it into the immutable snapshot. Rows that
-- break a rule go to format_tidak_valid; the rows loaded are counted per province of their
-- school (snapshot.cutoff_volume).
-- Needs the cutoff's sekolah loaded first.  Params: cutoff_id, file_name, sha256,
-- manifest_rows, bagian (the cutoff's partition, from snapshot.bagian_cutoff).
-- Fresh statistics for the staged rows (a new table has none); no JIT: its compile time is
-- pure loss on this one-pass scan; no merge join: the schools' text key is misestimated, and
-- a merge join sorts the staged rows where a hash of the schools does not. The checks run in
-- parallel workers (an unlogged table, not a temp one, so that they can read it).
ANALYZE snapshot.staging_peserta_didik;
SET LOCAL jit = off;
SET LOCAL enable_mergejoin = off;

-- Ids seen more than once, with their first line: a hash aggregate, not a sort of every row.
CREATE UNLOGGED TABLE snapshot.repeated_peserta_didik AS
SELECT lower(peserta_didik_id) AS id_lower, min(baris) AS first_line
FROM snapshot.staging_peserta_didik GROUP BY 1 HAVING count(*) > 1;
ANALYZE snapshot.repeated_peserta_didik;

-- The rows that break a rule, each with every rule it breaks. Only they are written: the
-- rows that pass are read again from the staged file by the insert below, not copied twice.
CREATE UNLOGGED TABLE snapshot.invalid_peserta_didik AS
SELECT * FROM (
  SELECT r.baris, r.peserta_didik_id, r.sekolah_id,
    CASE WHEN r.ncol <> 17 THEN 'row has ' || r.ncol || ' fields, the contract has 17'
    ELSE concat_ws('; ',
      CASE WHEN NOT snapshot.is_uuid(r.peserta_didik_id) THEN 'peserta_didik_id: not a uuid'
           WHEN d.first_line < r.baris THEN 'peserta_didik_id: duplicate of line ' || d.first_line END,
      CASE WHEN r.jenis_kelamin NOT IN ('L','P') THEN 'jenis_kelamin: not L/P' END,
      CASE WHEN NOT snapshot.is_date(r.tanggal_lahir) THEN 'tanggal_lahir: not a date YYYY-MM-DD' END,
      -- A school found is a uuid already (its canonical text, 36 ASCII characters): the rule
      -- is asked only of the ids that found none.
      CASE WHEN s.sekolah_id IS NOT NULL AND octet_length(r.sekolah_id) = 36 THEN NULL
           WHEN NOT snapshot.is_uuid(r.sekolah_id) THEN 'sekolah_id: not a uuid'
           ELSE 'sekolah_id: not in sekolah' END,
      CASE WHEN r.tingkat_pendidikan NOT IN ('0','1','2','3','4','5','6','7','8','9','10','11','12','13') THEN 'tingkat_pendidikan: not 0-13' END,
      CASE WHEN r.status NOT IN ('aktif','keluar','lulus') THEN 'status: not aktif/keluar/lulus' END,
      CASE WHEN r.kepemilikan_hp NOT IN ('','sendiri','orang_tua','wali','saudara','lainnya') THEN 'kepemilikan_hp: not in sendiri,orang_tua,wali,saudara,lainnya' END,
      CASE WHEN r.penerima_pip NOT IN ('true','false') THEN 'penerima_pip: not true/false' END,
      CASE WHEN r.penerima_pkh NOT IN ('true','false') THEN 'penerima_pkh: not true/false' END,
      CASE WHEN r.tanggal_masuk_sekolah <> '' AND NOT snapshot.is_date(r.tanggal_masuk_sekolah) THEN 'tanggal_masuk_sekolah: not a date YYYY-MM-DD' END)
    END AS pelanggaran
  FROM snapshot.staging_peserta_didik r
  LEFT JOIN (SELECT sekolah_id::text AS sekolah_id
             FROM snapshot.sekolah WHERE cutoff_id = %(cutoff_id)s) s
         ON s.sekolah_id = lower(r.sekolah_id)
  LEFT JOIN snapshot.repeated_peserta_didik d ON d.id_lower = lower(r.peserta_didik_id)
) checked WHERE pelanggaran <> '';
ANALYZE snapshot.invalid_peserta_didik;

INSERT INTO snapshot.format_tidak_valid (cutoff_id, tabel, baris, id_rekaman, pelanggaran, sekolah_id)
SELECT %(cutoff_id)s, 'peserta_didik', baris,
       CASE WHEN snapshot.is_uuid(peserta_didik_id) THEN peserta_didik_id::uuid END, pelanggaran,
       CASE WHEN snapshot.is_uuid(sekolah_id) THEN sekolah_id::uuid END
FROM snapshot.invalid_peserta_didik;

-- Into the cutoff's own partition, made empty and without an index (%(bagian)s, from
-- snapshot.bagian_cutoff), in the order the rows were checked; attaching it builds the primary
-- key in one sorted pass over the keys (migration 0014).
INSERT INTO %(bagian)s (cutoff_id, baris, peserta_didik_id, nisn, nik, nama,
       jenis_kelamin, tanggal_lahir, nama_ibu_kandung, sekolah_id, tingkat_pendidikan, status,
       nomor_hp, kepemilikan_hp, penerima_pip, penerima_pkh, nomor_kip, nomor_kps,
       tanggal_masuk_sekolah)
SELECT %(cutoff_id)s, baris, peserta_didik_id::uuid, nisn, nik, nama,
       jenis_kelamin, tanggal_lahir::date, nama_ibu_kandung, sekolah_id::uuid,
       tingkat_pendidikan::smallint, status, nomor_hp, NULLIF(kepemilikan_hp, ''),
       penerima_pip::boolean, penerima_pkh::boolean, nomor_kip, nomor_kps,
       NULLIF(tanggal_masuk_sekolah, '')::date
FROM snapshot.staging_peserta_didik r
WHERE NOT EXISTS (SELECT FROM snapshot.invalid_peserta_didik i WHERE i.baris = r.baris);
SELECT snapshot.pasang_cutoff('peserta_didik', %(cutoff_id)s);
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
    SELECT %(cutoff_id)s, 'peserta_didik', kode_provinsi, dimuat FROM per_provinsi
)
INSERT INTO snapshot.cutoff_file (cutoff_id, tabel, file_name, sha256, manifest_rows,
                                  loaded_rows, invalid_rows, seconds)
SELECT %(cutoff_id)s, 'peserta_didik', %(file_name)s, %(sha256)s, %(manifest_rows)s,
       (SELECT coalesce(sum(dimuat), 0) FROM per_provinsi),
       (SELECT count(*) FROM snapshot.invalid_peserta_didik),
       round(extract(epoch FROM clock_timestamp() - now()), 3);  -- the whole load transaction

DROP TABLE snapshot.invalid_peserta_didik, snapshot.repeated_peserta_didik, snapshot.staging_peserta_didik;
