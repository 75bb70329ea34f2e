-- The similarity index of a period in the run summary: candidate pairs scored, pairs flagged
-- (at or above the period's threshold, not twins), twin pairs ruled out; then its blocks
-- (kuota.kemiripan_blok): the largest, how many were split, how many stayed over the cap after
-- splitting (compared by sorted neighbourhood only) and the most comparisons one block asked for.
-- Params: periode.
SELECT count(k.*) AS scored,
       count(*) FILTER (WHERE k.skor >= (v.nilai ->> 'ambang_kemiripan')::real AND NOT k.kembar) AS flagged,
       count(*) FILTER (WHERE k.kembar) AS twins,
       min(v.nilai ->> 'ambang_kemiripan') AS threshold,
       min(b.blok_terbesar) AS largest_block, min(b.profil_terbesar) AS largest_profiles,
       min(b.blok_dipecah) AS split, min(b.subblok_melebihi) AS over_cap, min(b.murid_melebihi) AS over_cap_pupils,
       min(b.perbandingan_maks) AS max_comparisons, min(b.batas_blok) AS cap
FROM kuota.periode_kebijakan v
LEFT JOIN kuota.kemiripan k ON k.periode = v.periode
LEFT JOIN kuota.kemiripan_blok b ON b.periode = v.periode
WHERE v.periode = %(periode)s;
