-- Step: the first corrections of a loaded file that were refused, with why, and how many were
-- refused in all (reported in the task log; every one is kept in kuota.koreksi). Ids only: no
-- names, NISN, NIK or numbers in logs. Params: periode, berkas.
SELECT baris, jenis, id, pesan, count(*) OVER () AS jumlah
FROM kuota.koreksi
WHERE periode = %(periode)s AND berkas = %(berkas)s AND hasil = 'ditolak'
ORDER BY baris
LIMIT 5
