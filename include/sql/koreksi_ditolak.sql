-- Step: the first corrections of a loaded file that were refused, with why (reported in the
-- task log; every one is kept in kuota.koreksi). Ids only: no names or NISN in logs.
-- Params: periode, berkas.
SELECT baris, jenis, id, pesan
FROM kuota.koreksi
WHERE periode = %(periode)s AND berkas = %(berkas)s AND hasil = 'ditolak'
ORDER BY baris
LIMIT 5
