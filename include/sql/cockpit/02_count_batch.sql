-- Step: the provider exchange of a period for the cockpit, per provider and kind: batches
-- planned, sent (their bytes recorded), answered (an answer loaded), waiting for a redo (an
-- answer quarantined and none loaded since), closed unanswered at the deadline; the requests
-- still open and how long the oldest has waited, in seconds. Params: periode.
-- A batch is answered or closed whole (exchange.md §2: an answer with missing rows is
-- quarantined whole; the deadline closes every request still open), so a batch neither
-- answered nor closed has all its rows open: the view probes two small partial indexes per
-- batch (permintaan_terbuka, permintaan_tanpa_respons) and reads no request, at any scale.
WITH b AS (
  SELECT b.provider, b.jenis, b.baris, b.sha256 IS NOT NULL AS terkirim, b.dibuat_at,
         EXISTS (SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dimuat') AS dimuat,
         EXISTS (SELECT 1 FROM kuota.jawaban j WHERE j.batch_id = b.batch_id AND j.hasil = 'dikarantina') AS dikarantina,
         EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil = 'tanpa_respons') AS ditutup,
         EXISTS (SELECT 1 FROM kuota.permintaan r WHERE r.batch_id = b.batch_id AND r.hasil IS NULL) AS terbuka
  FROM kuota.batch b
  WHERE b.periode = %(periode)s
)
SELECT provider, jenis,
       count(*) AS batch,
       count(*) FILTER (WHERE terkirim) AS terkirim,
       count(*) FILTER (WHERE dimuat) AS dijawab,
       count(*) FILTER (WHERE dikarantina AND NOT dimuat) AS perlu_redo,
       count(*) FILTER (WHERE ditutup) AS ditutup_tanpa_jawaban,
       coalesce(sum(baris) FILTER (WHERE terbuka), 0)::bigint AS permintaan_terbuka,
       coalesce(floor(extract(epoch FROM now() - min(dibuat_at) FILTER (WHERE terbuka))), 0)::bigint
         AS umur_terbuka_tertua_detik
FROM b
GROUP BY provider, jenis
ORDER BY provider, jenis;
