-- Step: claim an alert before sending it, in the transaction that sends it. A row back: this
-- process sends it; none: it was sent already (or another process holds it and sends it).
-- Params: kunci, jenis, periode, subjek.
INSERT INTO kuota.peringatan (kunci, jenis, periode, subjek)
VALUES (%(kunci)s, %(jenis)s, %(periode)s, %(subjek)s)
ON CONFLICT (kunci) DO NOTHING
RETURNING kunci;
