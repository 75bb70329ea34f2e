-- Step: a school's file moved under karantina/portal/ (exchange.md §3), recorded with its
-- error for the run summary; the same bytes quarantined again only refresh the time.
-- Params: periode, jenis, nama, sha256, pesan, karantina.
INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, pesan, karantina)
VALUES (%(periode)s, %(jenis)s, %(nama)s, %(sha256)s, 'dikarantina', %(pesan)s, %(karantina)s)
ON CONFLICT (periode, jenis, nama, sha256) DO UPDATE SET diterima_at = now()
