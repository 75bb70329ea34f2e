-- Step: the cutoff's volume against the previous cutoff (the latest one with an earlier
-- cutoff_date whose three tables are loaded), per table and province, from the counts the
-- load wrote (snapshot.cutoff_volume): a few hundred rows whatever the cutoff's size.
-- A change of more than the policy ambang_volume_cutoff (a share of the previous count; a
-- province that appears or empties always exceeds it) is outside, unless the policy
-- pengecualian_volume_cutoff lists that period and table (and province, or none: all).
-- The policies: the period's recorded values (kuota.periode_kebijakan) when screening
-- recorded them, else those in force on the period's first day, so a waiver added after a
-- failed check counts on the re-run.
-- Params: cutoff_id, periode (NULL: the latest period bound to the cutoff, else the cutoff's
-- month).  Returns one row per table and province of either cutoff, or one row of NULLs
-- after the period and policy columns when there is no previous cutoff.
WITH cur AS (
    SELECT c.cutoff_id, c.cutoff_date,
           coalesce(%(periode)s, (SELECT max(p.periode) FROM kuota.periode p WHERE p.cutoff_id = c.cutoff_id),
                    to_char(c.cutoff_date, 'YYYY-MM')) AS periode
    FROM snapshot.cutoff c WHERE c.cutoff_id = %(cutoff_id)s
), prev AS (
    SELECT c.cutoff_id, c.cutoff_date
    FROM snapshot.cutoff c, cur
    WHERE c.cutoff_date < cur.cutoff_date
      AND (SELECT count(*) FROM snapshot.cutoff_file f WHERE f.cutoff_id = c.cutoff_id) = 3
    ORDER BY c.cutoff_date DESC
    LIMIT 1
), in_force AS (
    SELECT DISTINCT ON (k.nama) k.nama, k.nilai
    FROM kuota.kebijakan k, cur
    WHERE k.nama IN ('ambang_volume_cutoff', 'pengecualian_volume_cutoff')
      AND k.berlaku_mulai <= to_date(cur.periode || '-01', 'YYYY-MM-DD')
    ORDER BY k.nama, k.berlaku_mulai DESC
), policy AS (
    SELECT cur.periode,
           (coalesce(r.nilai -> 'ambang_volume_cutoff',
                     (SELECT nilai FROM in_force WHERE nama = 'ambang_volume_cutoff')))::text::numeric AS ambang,
           coalesce(r.nilai -> 'pengecualian_volume_cutoff',
                    (SELECT nilai FROM in_force WHERE nama = 'pengecualian_volume_cutoff'), '[]') AS pengecualian
    FROM cur LEFT JOIN kuota.periode_kebijakan r ON r.periode = cur.periode
), counts AS (
    SELECT tabel, kode_provinsi, coalesce(b.baris, 0) AS sebelumnya, coalesce(a.baris, 0) AS sekarang
    FROM (SELECT v.* FROM snapshot.cutoff_volume v JOIN cur USING (cutoff_id)) a
    FULL JOIN (SELECT v.* FROM snapshot.cutoff_volume v JOIN prev USING (cutoff_id)) b USING (tabel, kode_provinsi)
)
SELECT policy.periode, policy.ambang, prev.cutoff_id, prev.cutoff_date::text,
       n.tabel, n.kode_provinsi, n.sebelumnya, n.sekarang,
       abs(n.sekarang - n.sebelumnya) > policy.ambang * n.sebelumnya AS di_luar_ambang,
       EXISTS (SELECT 1 FROM jsonb_array_elements(policy.pengecualian) w
               WHERE w ->> 'periode' = policy.periode AND w ->> 'tabel' = n.tabel
                 AND coalesce(w ->> 'kode_provinsi', n.kode_provinsi) = n.kode_provinsi) AS dikecualikan
FROM policy
LEFT JOIN prev ON true
LEFT JOIN counts n ON prev.cutoff_id IS NOT NULL
ORDER BY array_position(ARRAY['sekolah', 'peserta_didik', 'ptk'], n.tabel), n.kode_provinsi;
