-- Step 3 of screening (after the similarity index, bulanan/screening/kemiripan/, same transaction): every cutoff record of
-- the period into kuota.penerima in exactly one state: residu with the first reason that applies
-- (lines 1-3 from the temp tables, then numbers and K3) or siap_validasi. Runs once per period:
-- the caller skips the screening when the period has rows (same transaction, advisory lock).
-- The rows go into the period's own partition, made empty by the caller
-- (kuota.penerima_partisi), with no index yet: attaching it at the end builds the parent's
-- indexes in one sorted pass each instead of keeping them row by row (docs/benchmarks.md).
-- Params: periode, partisi (the partition, its name as SQL), cutoff_id, batas_nomor_bersama,
-- paket_paud, paket_pd, paket_ptk.

-- Line 4, shared numbers: counted over every record that passed lines 1-3 with a valid
-- partner number, whatever its ownership field says.
CREATE TEMP TABLE nomor_bersama ON COMMIT DROP AS
SELECT r.msisdn
FROM rekaman r LEFT JOIN k2 ON k2.jenis = r.jenis AND k2.id = r.id
WHERE r.alasan_k1 IS NULL AND k2.id IS NULL AND r.provider IS NOT NULL
GROUP BY r.msisdn HAVING count(*) > %(batas_nomor_bersama)s;

INSERT INTO %(partisi)s (periode, jenis, id, sekolah_id, npsn, kode_provinsi, kode_kabupaten,
                         kategori, msisdn, provider, paket_gb, status, alasan, partner_id)
SELECT %(periode)s, jenis, id, sekolah_id, npsn, kode_provinsi, kode_kabupaten, kategori,
       msisdn, provider,
       CASE kategori WHEN 'paud' THEN %(paket_paud)s WHEN 'pd' THEN %(paket_pd)s ELSE %(paket_ptk)s END,
       CASE WHEN alasan IS NULL THEN 'siap_validasi' ELSE 'residu' END, alasan, partner_id
FROM (
    SELECT r.*, k2.partner_id,
           coalesce(r.alasan_k1, k2.alasan,
                    CASE WHEN r.kosong THEN 'nomor_kosong'
                         WHEN r.msisdn IS NULL THEN 'nomor_tidak_valid'
                         WHEN r.provider IS NULL THEN 'operator_tidak_didukung'
                         WHEN b.msisdn IS NOT NULL THEN 'nomor_dipakai_bersama'
                         WHEN r.kepemilikan_hp IS NULL THEN 'kepemilikan_kosong' END) AS alasan
    FROM rekaman r
    LEFT JOIN k2 ON k2.jenis = r.jenis AND k2.id = r.id
    LEFT JOIN nomor_bersama b ON b.msisdn = r.msisdn
) screened
ORDER BY jenis, id;  -- in key order: the primary key's build reads the rows sorted

-- The partition takes its place: its primary key and indexes are built now (its CHECK on the
-- periode spares the attach a scan). The few rows below go through them one by one.
SELECT kuota.penerima_pasang(%(periode)s);

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

-- Fresh statistics for the stages that follow (the rows were just written in bulk): the
-- partition's, and the parent's, which no autovacuum keeps and the plans of the quality views
-- need (their period is a setting, so they read the parent: without its statistics a
-- reconciliation's joins were planned as nested loops, twice as slow at 1 million).
ANALYZE kuota.penerima;
