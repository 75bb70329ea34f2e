-- Step: a period's history, oldest first: when, what (dibuka, batas_diubah, ditutup,
-- dibuka_kembali), the deadline after it, why, and who. Params: periode.
SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), aksi,
       to_char(batas_jawaban AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
       coalesce(alasan, ''), oleh
FROM kuota.periode_riwayat
WHERE periode = %(periode)s
ORDER BY at;
