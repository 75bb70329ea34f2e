-- Step: validation batches for one provider (exchange.md §2, validasi): every distinct number
-- of its siap_validasi recipients not already in an open request goes into a new batch of at
-- most %(ukuran)s numbers, in msisdn order; the recipients move to dikirim_validasi. One
-- transaction, serialised per provider and period: a re-run finds nothing new and adds
-- nothing. Batch ids hash the period, provider and numbers (deterministic for the content).
-- Params: periode, provider, ukuran, tahap. Returns the provider's validation batches.
SELECT pg_advisory_xact_lock(hashtext('validasi/' || %(periode)s || '/' || %(provider)s));

CREATE TEMP TABLE nomor_baru ON COMMIT DROP AS
SELECT msisdn, (row_number() OVER (ORDER BY msisdn) - 1) AS n
FROM (SELECT DISTINCT p.msisdn
      FROM kuota.penerima p
      WHERE p.periode = %(periode)s AND p.provider = %(provider)s AND p.status = 'siap_validasi'
        AND NOT EXISTS (SELECT 1 FROM kuota.permintaan r
                        WHERE r.periode = p.periode AND r.jenis = 'validasi' AND r.msisdn = p.msisdn
                          AND r.hasil IS NULL)) nomor;
ANALYZE nomor_baru;

CREATE TEMP TABLE potongan ON COMMIT DROP AS
SELECT n / %(ukuran)s AS potong, count(*) AS baris,
       left(md5(%(periode)s || '/' || %(provider)s || '/validasi/' || string_agg(msisdn, ',' ORDER BY msisdn)), 8) AS sidik
FROM nomor_baru GROUP BY 1;

CREATE TEMP TABLE batch_baru ON COMMIT DROP AS
SELECT potong, baris, awal.u + potong + 1 AS urutan,
       format('V-%%s-%%s-%%s-%%s', %(periode)s, %(provider)s, lpad((awal.u + potong + 1)::text, 4, '0'), sidik) AS batch_id
FROM potongan,
     (SELECT coalesce(max(urutan), 0) AS u FROM kuota.batch
      WHERE periode = %(periode)s AND provider = %(provider)s AND jenis = 'validasi') awal;

INSERT INTO kuota.batch (batch_id, periode, provider, jenis, urutan, tahap, baris)
SELECT batch_id, %(periode)s, %(provider)s, 'validasi', urutan, %(tahap)s, baris FROM batch_baru;

INSERT INTO kuota.permintaan (request_id, batch_id, periode, jenis, msisdn)
SELECT b.batch_id || '-' || lpad((x.n %% %(ukuran)s + 1)::text, 7, '0'), b.batch_id, %(periode)s, 'validasi', x.msisdn
FROM nomor_baru x JOIN batch_baru b ON b.potong = x.n / %(ukuran)s;

ANALYZE kuota.permintaan;

-- Every recipient on a number now asked about (in this batch or one still open) waits for it.
UPDATE kuota.penerima p SET status = 'dikirim_validasi', diubah_at = now()
FROM (SELECT r.msisdn FROM kuota.permintaan r JOIN kuota.batch b USING (batch_id)
      WHERE b.periode = %(periode)s AND b.provider = %(provider)s AND b.jenis = 'validasi'
        AND r.hasil IS NULL) terbuka
WHERE p.periode = %(periode)s AND p.provider = %(provider)s AND p.status = 'siap_validasi'
  AND p.msisdn = terbuka.msisdn;

SELECT batch_id, baris, (batch_id IN (SELECT batch_id FROM batch_baru)) AS baru
FROM kuota.batch WHERE periode = %(periode)s AND provider = %(provider)s AND jenis = 'validasi'
ORDER BY urutan;
