-- Step: an SPTJM whose files (CSV, PDF, manifest) are in the portal: its sha256 recorded, so
-- a re-run writes it no more. Params: sptjm_no, sha256.
UPDATE kuota.sptjm SET sha256 = %(sha256)s WHERE sptjm_no = %(sptjm_no)s AND sha256 IS NULL
