-- Step: the period export (exchange.md §4, status_penerima): one row per cutoff record, with
-- its state, reason, the SPTJM that lists it (the standing one, else the latest rejected) and
-- its package. Streamed out with COPY, in a stable order. Params: periode.
SELECT p.jenis, p.id, p.npsn, p.msisdn, p.provider, p.status, p.alasan, s.sptjm_no, p.paket_gb
FROM kuota.penerima p
LEFT JOIN (SELECT DISTINCT ON (jenis, id) jenis, id, sptjm_no
           FROM kuota.sptjm_penerima WHERE periode = %(periode)s
           ORDER BY jenis, id, ditolak, sptjm_no DESC) s ON s.jenis = p.jenis AND s.id = p.id
WHERE p.periode = %(periode)s
ORDER BY p.jenis, p.id
