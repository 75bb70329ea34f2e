-- Step: type-check the staged peserta_didik.csv (snapshot.staging_peserta_didik: unlogged,
-- made and dropped by this transaction) and publish it into the immutable snapshot. Rows that
-- break a rule go to format_tidak_valid; the rows loaded are counted per province of their
-- school (snapshot.cutoff_volume).
-- Needs the cutoff's sekolah loaded first.  Params: cutoff_id, file_name, sha256,
-- manifest_rows.
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

CREATE UNLOGGED TABLE snapshot.checked_peserta_didik AS
SELECT r.*, s.kode_provinsi AS provinsi_sekolah,
  CASE WHEN r.ncol <> 17 THEN 'row has ' || r.ncol || ' fields, the contract has 17'
  ELSE concat_ws('; ',
    CASE WHEN NOT snapshot.is_uuid(r.peserta_didik_id) THEN 'peserta_didik_id: not a uuid'
         WHEN d.first_line < r.baris THEN 'peserta_didik_id: duplicate of line ' || d.first_line END,
    CASE WHEN r.jenis_kelamin NOT IN ('L','P') THEN 'jenis_kelamin: not L/P' END,
    CASE WHEN NOT snapshot.is_date(r.tanggal_lahir) THEN 'tanggal_lahir: not a date YYYY-MM-DD' END,
    CASE WHEN NOT snapshot.is_uuid(r.sekolah_id) THEN 'sekolah_id: not a uuid'
         WHEN s.sekolah_id IS NULL THEN 'sekolah_id: not in sekolah' END,
    CASE WHEN r.tingkat_pendidikan !~ '^(0|[1-9]|1[0-3])$' THEN 'tingkat_pendidikan: not 0-13' END,
    CASE WHEN r.status NOT IN ('aktif','keluar','lulus') THEN 'status: not aktif/keluar/lulus' END,
    CASE WHEN r.kepemilikan_hp NOT IN ('','sendiri','orang_tua','wali','saudara','lainnya') THEN 'kepemilikan_hp: not in sendiri,orang_tua,wali,saudara,lainnya' END,
    CASE WHEN r.penerima_pip NOT IN ('true','false') THEN 'penerima_pip: not true/false' END,
    CASE WHEN r.penerima_pkh NOT IN ('true','false') THEN 'penerima_pkh: not true/false' END,
    CASE WHEN r.tanggal_masuk_sekolah <> '' AND NOT snapshot.is_date(r.tanggal_masuk_sekolah) THEN 'tanggal_masuk_sekolah: not a date YYYY-MM-DD' END)
  END AS pelanggaran
FROM snapshot.staging_peserta_didik r
LEFT JOIN (SELECT sekolah_id::text AS sekolah_id, kode_provinsi::text AS kode_provinsi
           FROM snapshot.sekolah WHERE cutoff_id = %(cutoff_id)s) s
       ON s.sekolah_id = lower(r.sekolah_id)
LEFT JOIN snapshot.repeated_peserta_didik d ON d.id_lower = lower(r.peserta_didik_id);

INSERT INTO snapshot.format_tidak_valid (cutoff_id, tabel, baris, id_rekaman, pelanggaran, sekolah_id)
SELECT %(cutoff_id)s, 'peserta_didik', baris,
       CASE WHEN snapshot.is_uuid(peserta_didik_id) THEN peserta_didik_id::uuid END, pelanggaran,
       CASE WHEN snapshot.is_uuid(sekolah_id) THEN sekolah_id::uuid END
FROM snapshot.checked_peserta_didik WHERE pelanggaran <> '';

INSERT INTO snapshot.peserta_didik (cutoff_id, baris, peserta_didik_id, nisn, nik, nama,
       jenis_kelamin, tanggal_lahir, nama_ibu_kandung, sekolah_id, tingkat_pendidikan, status,
       nomor_hp, kepemilikan_hp, penerima_pip, penerima_pkh, nomor_kip, nomor_kps,
       tanggal_masuk_sekolah)
SELECT %(cutoff_id)s, baris, peserta_didik_id::uuid, nisn, nik, nama,
       jenis_kelamin, tanggal_lahir::date, nama_ibu_kandung, sekolah_id::uuid,
       tingkat_pendidikan::smallint, status, nomor_hp, NULLIF(kepemilikan_hp, ''),
       penerima_pip::boolean, penerima_pkh::boolean, nomor_kip, nomor_kps,
       NULLIF(tanggal_masuk_sekolah, '')::date
FROM snapshot.checked_peserta_didik WHERE pelanggaran = ''
ORDER BY peserta_didik_id::uuid;  -- in key order: the primary key grows at its right edge (docs/benchmarks.md)

-- The file's row, and the rows loaded per province (the volume check's counts), from one
-- pass over the checked rows.
WITH per_provinsi AS (
    SELECT provinsi_sekolah AS kode_provinsi,
           count(*) FILTER (WHERE pelanggaran = '') AS dimuat,
           count(*) FILTER (WHERE pelanggaran <> '') AS tidak_valid
    FROM snapshot.checked_peserta_didik GROUP BY 1
), volume AS (
    INSERT INTO snapshot.cutoff_volume (cutoff_id, tabel, kode_provinsi, baris)
    SELECT %(cutoff_id)s, 'peserta_didik', kode_provinsi, dimuat FROM per_provinsi WHERE dimuat > 0
)
INSERT INTO snapshot.cutoff_file (cutoff_id, tabel, file_name, sha256, manifest_rows,
                                  loaded_rows, invalid_rows, seconds)
SELECT %(cutoff_id)s, 'peserta_didik', %(file_name)s, %(sha256)s, %(manifest_rows)s,
       coalesce(sum(dimuat), 0), coalesce(sum(tidak_valid), 0),
       round(extract(epoch FROM clock_timestamp() - now()), 3)  -- the whole load transaction
FROM per_provinsi;

DROP TABLE snapshot.checked_peserta_didik, snapshot.repeated_peserta_didik, snapshot.staging_peserta_didik;
