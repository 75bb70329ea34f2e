-- Step: the providers a stage asks something of a kind: those of the recipients waiting for it
-- (siap_validasi: a number to validate; sptjm_disetujui: a package to inject), or with
-- batches of that kind already (so a re-run maps the same providers). The caller puts them in
-- the contract's order. Params: periode, status (the state waiting), jenis.
SELECT DISTINCT provider FROM kuota.penerima WHERE periode = %(periode)s AND status = %(status)s
UNION SELECT provider FROM kuota.batch WHERE periode = %(periode)s AND jenis = %(jenis)s
