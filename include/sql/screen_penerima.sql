-- Step: screen every cutoff record of a period into kuota.penerima, in exactly one state:
-- residu with the first reason that applies (domain.md, "One reason per record"), each line
-- looking only at the records that passed the lines before it, or siap_validasi.
-- Needs: the cutoff loaded, its numbers normalized (screen_nomor.sql). Runs once per period:
-- the caller skips it when the period has rows (same transaction, advisory lock).
-- Params: periode, cutoff_id, tanggal (the period's first day: prefixes and packages in force),
-- batas_nomor_bersama, kecualikan_pkh_pip, paket_paud, paket_pd, paket_ptk.

-- Lines 1-2: every record with what the rules read, and its K1 reason.
CREATE TEMP TABLE rekaman ON COMMIT DROP AS
SELECT r.*, n.kosong, n.msisdn, pp.provider,
       CASE WHEN s.status <> 'aktif' THEN 'sekolah_tidak_aktif'
            WHEN r.status <> 'aktif' THEN 'tidak_aktif'
            WHEN r.jenis = 'ptk' AND NOT r.ptk_induk THEN 'bukan_sekolah_induk'
            WHEN r.jenis = 'ptk' AND r.jenis_ptk NOT IN ('guru', 'kepala_sekolah') THEN 'jenis_ptk_tidak_berhak'
            WHEN r.jenis = 'pd' AND %(kecualikan_pkh_pip)s AND (r.penerima_pip OR r.penerima_pkh) THEN 'penerima_pkh_pip'
       END AS alasan_k1,
       s.npsn, s.kode_provinsi, s.kode_kabupaten
FROM (
    SELECT 'pd'::text AS jenis, peserta_didik_id AS id, sekolah_id, status, nisn, NULL::text AS nik,
           lower(regexp_replace(btrim(nama), '\s+', ' ', 'g')) AS nama_norm, tanggal_lahir,
           tanggal_masuk_sekolah, kepemilikan_hp, penerima_pip, penerima_pkh,
           NULL::boolean AS ptk_induk, NULL::text AS jenis_ptk,
           CASE WHEN tingkat_pendidikan = 0 THEN 'paud' ELSE 'pd' END AS kategori
    FROM snapshot.peserta_didik WHERE cutoff_id = %(cutoff_id)s
    UNION ALL
    SELECT 'ptk', ptk_id, sekolah_id, status, NULL, nik,
           lower(regexp_replace(btrim(nama), '\s+', ' ', 'g')), tanggal_lahir,
           NULL, kepemilikan_hp, false, false, ptk_induk, jenis_ptk, 'ptk'
    FROM snapshot.ptk WHERE cutoff_id = %(cutoff_id)s
) r
JOIN snapshot.sekolah s ON s.cutoff_id = %(cutoff_id)s AND s.sekolah_id = r.sekolah_id
JOIN kuota.nomor_cutoff n ON n.cutoff_id = %(cutoff_id)s AND n.jenis = r.jenis AND n.id = r.id
LEFT JOIN kuota.prefix_provider pp
       ON pp.prefix = '0' || substr(n.msisdn, 3, 3) AND pp.berlaku_mulai <= %(tanggal)s
      AND (pp.berlaku_sampai IS NULL OR %(tanggal)s < pp.berlaku_sampai);
ANALYZE rekaman;

-- Line 3, K2: one NISN, one person, one school; a PTK once, in the home school.
CREATE TEMP TABLE k2 ON COMMIT DROP AS
WITH pd AS (
    SELECT * FROM rekaman WHERE jenis = 'pd' AND alasan_k1 IS NULL AND nisn ~ '^[0-9]{10}$'
), nisn_sama AS (
    -- Two different people behind one NISN: some pair differs in both name and birth date,
    -- which is the case exactly when the group has two names and two birth dates.
    SELECT nisn, count(DISTINCT sekolah_id) AS sekolah,
           count(DISTINCT nama_norm) > 1 AND count(DISTINCT tanggal_lahir) > 1 AS konflik
    FROM pd GROUP BY nisn HAVING count(*) > 1
), ptk_sama AS (
    SELECT nik FROM rekaman
    WHERE jenis = 'ptk' AND alasan_k1 IS NULL AND nik <> ''
    GROUP BY nik HAVING count(DISTINCT sekolah_id) > 1
)
SELECT 'pd'::text AS jenis, id, 'nisn_tidak_valid'::text AS alasan
FROM rekaman WHERE jenis = 'pd' AND alasan_k1 IS NULL AND nisn !~ '^[0-9]{10}$'
UNION ALL
SELECT jenis, id, alasan FROM (
    SELECT pd.jenis, pd.id,
           CASE WHEN g.konflik THEN 'nisn_konflik'
                WHEN g.sekolah > 1 THEN 'nisn_ganda'
                -- one school: the most recent enrolment stays
                WHEN row_number() OVER (PARTITION BY pd.nisn ORDER BY pd.tanggal_masuk_sekolah DESC NULLS LAST, pd.id) > 1
                THEN 'rekaman_duplikat' END AS alasan
    FROM pd JOIN nisn_sama g USING (nisn)
) d WHERE alasan IS NOT NULL
UNION ALL
SELECT r.jenis, r.id, 'ptk_ganda'
FROM rekaman r JOIN ptk_sama USING (nik)
WHERE r.jenis = 'ptk' AND r.alasan_k1 IS NULL;
CREATE INDEX ON k2 (jenis, id);
ANALYZE k2;

-- Line 4, shared numbers: counted over every record that passed lines 1-3 with a valid
-- partner number, whatever its ownership field says.
CREATE TEMP TABLE nomor_bersama ON COMMIT DROP AS
SELECT r.msisdn
FROM rekaman r LEFT JOIN k2 ON k2.jenis = r.jenis AND k2.id = r.id
WHERE r.alasan_k1 IS NULL AND k2.id IS NULL AND r.provider IS NOT NULL
GROUP BY r.msisdn HAVING count(*) > %(batas_nomor_bersama)s;

INSERT INTO kuota.penerima (periode, jenis, id, sekolah_id, npsn, kode_provinsi, kode_kabupaten,
                            kategori, msisdn, provider, paket_gb, status, alasan)
SELECT %(periode)s, jenis, id, sekolah_id, npsn, kode_provinsi, kode_kabupaten, kategori,
       msisdn, provider,
       CASE kategori WHEN 'paud' THEN %(paket_paud)s WHEN 'pd' THEN %(paket_pd)s ELSE %(paket_ptk)s END,
       CASE WHEN alasan IS NULL THEN 'siap_validasi' ELSE 'residu' END, alasan
FROM (
    SELECT r.*,
           coalesce(r.alasan_k1, k2.alasan,
                    CASE WHEN r.kosong THEN 'nomor_kosong'
                         WHEN r.msisdn IS NULL THEN 'nomor_tidak_valid'
                         WHEN r.provider IS NULL THEN 'operator_tidak_didukung'
                         WHEN b.msisdn IS NOT NULL THEN 'nomor_dipakai_bersama'
                         WHEN r.kepemilikan_hp IS NULL THEN 'kepemilikan_kosong' END) AS alasan
    FROM rekaman r
    LEFT JOIN k2 ON k2.jenis = r.jenis AND k2.id = r.id
    LEFT JOIN nomor_bersama b ON b.msisdn = r.msisdn
) screened;

-- Line 1: rows reported format_tidak_valid whose id is readable and not in the snapshot
-- (a duplicate line of a loaded id stays only in the report), back to the school they name.
INSERT INTO kuota.penerima (periode, jenis, id, sekolah_id, npsn, kode_provinsi, kode_kabupaten, status, alasan)
SELECT DISTINCT ON (f.id_rekaman) %(periode)s, CASE f.tabel WHEN 'ptk' THEN 'ptk' ELSE 'pd' END,
       f.id_rekaman, s.sekolah_id, s.npsn, s.kode_provinsi, s.kode_kabupaten, 'residu', 'format_tidak_valid'
FROM snapshot.format_tidak_valid f
LEFT JOIN snapshot.sekolah s ON s.cutoff_id = f.cutoff_id AND s.sekolah_id = f.sekolah_id
WHERE f.cutoff_id = %(cutoff_id)s AND f.tabel IN ('peserta_didik', 'ptk') AND f.id_rekaman IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM kuota.penerima p
                  WHERE p.periode = %(periode)s AND p.id = f.id_rekaman
                    AND p.jenis = CASE f.tabel WHEN 'ptk' THEN 'ptk' ELSE 'pd' END)
ORDER BY f.id_rekaman, f.baris;
