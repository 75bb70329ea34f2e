-- Step 2 of screening, the similarity index (3 of 3, after every province's
-- kemiripan/02_screen_provinsi.sql, same transaction): the period's block sizes from its
-- provinces', and the pupils flagged.
-- Params: periode, ambang_kemiripan.

-- The blocks in the run summary: sizes, splits, and what stayed over the cap. Every block lies
-- in one province, so the period's counts are the provinces' sums and its largest the largest
-- of theirs.
DELETE FROM kuota.kemiripan_blok WHERE periode = %(periode)s;
INSERT INTO kuota.kemiripan_blok
SELECT %(periode)s,
       (SELECT count(*) FROM murid),
       coalesce(sum(p.profil), 0),
       coalesce(sum(p.blok), 0),
       greatest(max(p.blok_terbesar), (SELECT least(count(*), 1) FROM murid)),
       greatest(max(p.profil_terbesar), least(coalesce(sum(p.profil), 0), 1)),
       coalesce(sum(p.blok_dipecah), 0),
       coalesce(sum(p.subblok), 0),
       coalesce(sum(p.subblok_melebihi), 0),
       coalesce(sum(p.murid_melebihi), 0),
       coalesce(sum(p.perbandingan), 0),
       coalesce(max(p.perbandingan_maks), 0),
       50,
       (SELECT coalesce(jsonb_agg(b.e ORDER BY (b.e ->> 'murid')::bigint DESC, (b.e ->> 'profil')::bigint DESC,
                                  b.e ->> 'kunci'), '[]')
        FROM (SELECT e FROM blok_provinsi, jsonb_array_elements(terbesar) e
              ORDER BY (e ->> 'murid')::bigint DESC, (e ->> 'profil')::bigint DESC, e ->> 'kunci' LIMIT 5) b)
FROM blok_provinsi p;
DO $$
DECLARE r record;
BEGIN
    SELECT * INTO r FROM kuota.kemiripan_blok WHERE periode = %(periode)s;
    IF r.subblok_melebihi > 0 THEN
        RAISE NOTICE 'similarity index: %% sub-blocks still over %% profiles after splitting (%% pupils), compared by sorted neighbourhood only: review them (a placeholder name, or padding)',
                     r.subblok_melebihi, r.batas_blok, r.murid_melebihi;
    END IF;
END $$;

-- Both pupils of a pair at or above the threshold, each with its best-scoring partner.
INSERT INTO k2 (jenis, id, alasan, partner_id)
SELECT DISTINCT ON (id) 'pd', id, 'kemungkinan_orang_sama', partner_id
FROM (
    SELECT id_a AS id, id_b AS partner_id, skor FROM kuota.kemiripan
    WHERE periode = %(periode)s AND skor >= %(ambang_kemiripan)s AND NOT kembar
    UNION ALL
    SELECT id_b, id_a, skor FROM kuota.kemiripan
    WHERE periode = %(periode)s AND skor >= %(ambang_kemiripan)s AND NOT kembar
) m
ORDER BY id, skor DESC, partner_id;
ANALYZE k2;

-- The working tables of the provinces' passes, gone (01_prepare_profil.sql made them).
DO $$ BEGIN
    EXECUTE format('DROP TABLE kerja_%%1$s.profil, kerja_%%1$s.salinan_profil, kerja_%%1$s.pasangan; DROP SCHEMA kerja_%%1$s',
                   pg_backend_pid());
END $$;
