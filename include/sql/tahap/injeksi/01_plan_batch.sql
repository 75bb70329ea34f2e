-- Step: injection batches for one provider (exchange.md §2, injeksi): every recipient on an
-- approved SPTJM (sptjm_disetujui) without an injection request this period goes into a new
-- batch of at most %(ukuran)s rows, one row per recipient package, with the number, provider
-- and package its SPTJM locked. Each request gets its ledger row (kuota.injeksi: the database
-- refuses one without an approved SPTJM, and a second one for a recipient in the period); the
-- recipients become dikirim_injeksi. One transaction, serialised per provider and period: a
-- re-run finds nothing new. Batch ids hash the period, provider and rows.
-- Params: periode, provider, ukuran, tahap. Returns the provider's injection batches.
SELECT pg_advisory_xact_lock(hashtext('injeksi/' || %(periode)s || '/' || %(provider)s));

CREATE TEMP TABLE injeksi_baru ON COMMIT DROP AS
SELECT sp.sptjm_no, sp.jenis, sp.id, sp.msisdn, sp.provider, sp.paket_gb,
       (row_number() OVER (ORDER BY sp.msisdn, sp.jenis, sp.id) - 1) AS n
FROM kuota.penerima p
JOIN kuota.sptjm_penerima sp ON sp.periode = p.periode AND sp.jenis = p.jenis AND sp.id = p.id AND NOT sp.ditolak
WHERE p.periode = %(periode)s AND p.status = 'sptjm_disetujui' AND sp.provider = %(provider)s
  AND NOT EXISTS (SELECT 1 FROM kuota.injeksi i WHERE i.periode = p.periode AND i.jenis = p.jenis AND i.id = p.id);
ANALYZE injeksi_baru;

CREATE TEMP TABLE injeksi_batch_baru ON COMMIT DROP AS
SELECT potong, baris, awal.u + potong + 1 AS urutan,
       format('I-%%s-%%s-%%s-%%s', %(periode)s, %(provider)s, lpad((awal.u + potong + 1)::text, 4, '0'), sidik) AS batch_id
FROM (SELECT n / %(ukuran)s AS potong, count(*) AS baris,
             left(md5(%(periode)s || '/' || %(provider)s || '/injeksi/'
                      || string_agg(msisdn || ':' || jenis || ':' || id || ':' || paket_gb, ',' ORDER BY n)), 8) AS sidik
      FROM injeksi_baru GROUP BY 1) potongan,
     (SELECT coalesce(max(urutan), 0) AS u FROM kuota.batch
      WHERE periode = %(periode)s AND provider = %(provider)s AND jenis = 'injeksi') awal;

INSERT INTO kuota.batch (batch_id, periode, provider, jenis, urutan, tahap, baris)
SELECT batch_id, %(periode)s, %(provider)s, 'injeksi', urutan, %(tahap)s, baris FROM injeksi_batch_baru;

-- The ledger first (its key to kuota.permintaan is checked at commit), then the requests.
CREATE TEMP TABLE injeksi_permintaan ON COMMIT DROP AS
SELECT b.batch_id || '-' || lpad((x.n %% %(ukuran)s + 1)::text, 7, '0') AS request_id, b.batch_id, x.*
FROM injeksi_baru x JOIN injeksi_batch_baru b ON b.potong = x.n / %(ukuran)s;

INSERT INTO kuota.injeksi (request_id, batch_id, periode, jenis, id, sptjm_no, msisdn, provider, paket_gb)
SELECT request_id, batch_id, %(periode)s, jenis, id, sptjm_no, msisdn, provider, paket_gb FROM injeksi_permintaan;

INSERT INTO kuota.permintaan (request_id, batch_id, periode, jenis, msisdn, paket_gb)
SELECT request_id, batch_id, %(periode)s, 'injeksi', msisdn, paket_gb FROM injeksi_permintaan;

ANALYZE kuota.permintaan;

-- The recipients joined as one set (a hash or merge join), never in a nested loop: the
-- statistics of status lag behind the steps that moved recipients since the last ANALYZE, and
-- a state they show as rare would put a scan of the other side inside a loop over every
-- recipient in it (seen: a stage's injection plan that did not end). SET LOCAL: to the end of
-- this transaction.
SET LOCAL enable_nestloop = off;
UPDATE kuota.penerima p SET status = 'dikirim_injeksi', diubah_at = now()
FROM injeksi_permintaan x
WHERE p.periode = %(periode)s AND p.jenis = x.jenis AND p.id = x.id AND p.status = 'sptjm_disetujui';

SELECT batch_id, baris, (batch_id IN (SELECT batch_id FROM injeksi_batch_baru)) AS baru
FROM kuota.batch WHERE periode = %(periode)s AND provider = %(provider)s AND jenis = 'injeksi'
ORDER BY urutan;
