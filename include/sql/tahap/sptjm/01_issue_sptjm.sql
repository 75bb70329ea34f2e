-- Step: issue the next SPTJM of every school with valid records not on an SPTJM that stands
-- (domain.md flow 7): one new SPTJM per school, listing all of them, numbered
-- SPTJM-<periode>-<npsn>-<seq>; the records are locked (kuota.sptjm_penerima holds their
-- number, provider and package) and become sptjm_dicetak. One transaction, serialised per
-- period: a re-run finds no valid record left and issues nothing. Params: periode, tahap.
-- Returns the SPTJMs issued now.
SELECT pg_advisory_xact_lock(hashtext('sptjm/' || %(periode)s));

CREATE TEMP TABLE siap_sptjm ON COMMIT DROP AS
SELECT npsn, jenis, id, msisdn, provider, paket_gb
FROM kuota.penerima
WHERE periode = %(periode)s AND status = 'valid' AND npsn IS NOT NULL;

CREATE TEMP TABLE sptjm_baru ON COMMIT DROP AS
SELECT 'SPTJM-' || %(periode)s || '-' || s.npsn || '-' || s.urutan AS sptjm_no, s.*
FROM (SELECT b.npsn, count(*) AS baris, sum(b.paket_gb) AS paket_gb,
             coalesce((SELECT max(k.urutan) FROM kuota.sptjm k
                       WHERE k.periode = %(periode)s AND k.npsn = b.npsn), 0) + 1 AS urutan
      FROM siap_sptjm b GROUP BY b.npsn) s;

INSERT INTO kuota.sptjm (sptjm_no, periode, npsn, urutan, tahap, baris, paket_gb)
SELECT sptjm_no, %(periode)s, npsn, urutan, %(tahap)s, baris, paket_gb FROM sptjm_baru;

INSERT INTO kuota.sptjm_penerima (sptjm_no, periode, jenis, id, msisdn, provider, paket_gb)
SELECT b.sptjm_no, %(periode)s, s.jenis, s.id, s.msisdn, s.provider, s.paket_gb
FROM siap_sptjm s JOIN sptjm_baru b USING (npsn);

-- The recipients joined as one set (a hash or merge join), never in a nested loop: the
-- statistics of status lag behind the steps that moved recipients since the last ANALYZE, and
-- a state they show as rare would put a scan of the other side inside a loop over every
-- recipient in it (seen: a stage's injection plan that did not end). SET LOCAL: to the end of
-- this transaction.
SET LOCAL enable_nestloop = off;
UPDATE kuota.penerima p SET status = 'sptjm_dicetak', diubah_at = now()
FROM siap_sptjm s
WHERE p.periode = %(periode)s AND p.jenis = s.jenis AND p.id = s.id AND p.status = 'valid';

SELECT sptjm_no, baris, paket_gb FROM sptjm_baru ORDER BY sptjm_no;
