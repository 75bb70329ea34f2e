-- Step: bind a period to its cutoff (once).  Params: periode, cutoff_id.
-- Returns the period's cutoff: the caller refuses a period already bound to another cutoff.
INSERT INTO kuota.periode (periode, cutoff_id) VALUES (%(periode)s, %(cutoff_id)s)
ON CONFLICT (periode) DO NOTHING;

SELECT cutoff_id FROM kuota.periode WHERE periode = %(periode)s;
