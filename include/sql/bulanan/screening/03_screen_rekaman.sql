-- Step 1 of screening (screen_rekaman, screen_kemiripan, screen_penerima: one transaction):
-- every record of the period's cutoff with what the rules read, its K1 reason (lines 1-2) and
-- its K2 reason from identifiers (line 3: NISN and NIK), in temp tables the next files read.
-- Each line looks only at the records that passed the lines before it (domain.md,
-- "One reason per record"). Needs: the cutoff loaded and its numbers normalized (bulanan/screening/02_normalize_nomor.sql).
-- Params: cutoff_id, tanggal (the period's first day: prefixes in force), kecualikan_pkh_pip.

SET LOCAL jit = off;  -- compiling these plans costs more than it saves
-- One screening runs at a time (its advisory lock): its hashes and sorts may take what a
-- national pass needs rather than spill (docs/national.md).
SET LOCAL work_mem = '512MB';

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
           -- names as the rules compare them: lower case, letters only, so that blanks,
           -- dots, apostrophes and slips at a word boundary make no difference
           lower(regexp_replace(nama, '[^[:alpha:]]+', '', 'g')) AS nama_huruf,
           lower(regexp_replace(nama_ibu_kandung, '[^[:alpha:]]+', '', 'g')) AS ibu_huruf,
           nama, nama_ibu_kandung AS nama_ibu, jenis_kelamin,  -- for the similarity index
           tanggal_lahir,
           tanggal_masuk_sekolah, kepemilikan_hp, penerima_pip, penerima_pkh,
           NULL::boolean AS ptk_induk, NULL::text AS jenis_ptk,
           CASE WHEN tingkat_pendidikan = 0 THEN 'paud' ELSE 'pd' END AS kategori
    FROM snapshot.peserta_didik WHERE cutoff_id = %(cutoff_id)s
    UNION ALL
    SELECT 'ptk', ptk_id, sekolah_id, status, NULL, nik, NULL, NULL, NULL, NULL, NULL, tanggal_lahir,
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
    -- The NISNs on more than one record first, by a hash aggregate: the distinct counts
    -- (which sort their group) then see only those few, not every record.
    SELECT nisn, count(DISTINCT sekolah_id) AS sekolah,
           count(DISTINCT nama_huruf) > 1 AND count(DISTINCT tanggal_lahir) > 1 AS konflik
    FROM pd JOIN (SELECT nisn FROM pd GROUP BY nisn HAVING count(*) > 1) lebih USING (nisn)
    GROUP BY nisn
), ptk_sama AS (
    SELECT nik FROM rekaman
    WHERE jenis = 'ptk' AND alasan_k1 IS NULL AND nik <> ''
    GROUP BY nik HAVING count(DISTINCT sekolah_id) > 1
)
SELECT 'pd'::text AS jenis, id, 'nisn_tidak_valid'::text AS alasan, NULL::uuid AS partner_id
FROM rekaman WHERE jenis = 'pd' AND alasan_k1 IS NULL AND nisn !~ '^[0-9]{10}$'
UNION ALL
SELECT jenis, id, alasan, NULL FROM (
    SELECT pd.jenis, pd.id,
           CASE WHEN g.konflik THEN 'nisn_konflik'
                WHEN g.sekolah > 1 THEN 'nisn_ganda'
                -- one school: the most recent enrolment stays
                WHEN row_number() OVER (PARTITION BY pd.nisn ORDER BY pd.tanggal_masuk_sekolah DESC NULLS LAST, pd.id) > 1
                THEN 'rekaman_duplikat' END AS alasan
    FROM pd JOIN nisn_sama g USING (nisn)
) d WHERE alasan IS NOT NULL
UNION ALL
SELECT r.jenis, r.id, 'ptk_ganda', NULL
FROM rekaman r JOIN ptk_sama USING (nik)
WHERE r.jenis = 'ptk' AND r.alasan_k1 IS NULL;
CREATE INDEX ON k2 (jenis, id);
ANALYZE k2;
